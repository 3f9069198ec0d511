"""Settings: the frozen object, its names, and the conf file reader."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from memcached_py.cli import CONVERTERS
from memcached_py.conffile import EX_CONFIG, EX_NOINPUT, ConfFileError, parse_conf, read_conf
from memcached_py.settings import MEGABYTE, Settings, field_names


def test_frozen() -> None:
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.port = 1  # type: ignore[misc]


def test_replace_returns_a_copy() -> None:
    s = Settings()
    t = s.replace(port=1234, memory_limit=128 * MEGABYTE)
    assert (t.port, t.memory_limit) == (1234, 128 * MEGABYTE)
    assert s.port == 11211


def test_safer_default_listen() -> None:
    assert Settings().listen == ("127.0.0.1",)


def test_serves_tcp() -> None:
    assert Settings().serves_tcp
    assert Settings(port=-1).serves_tcp
    assert not Settings(port=0).serves_tcp
    assert not Settings(unix_socket="/tmp/x.sock").serves_tcp


def test_every_field_has_a_converter() -> None:
    assert set(CONVERTERS) == set(field_names())


def test_field_names_are_identifiers() -> None:
    for name in field_names():
        assert name.isidentifier() and name == name.lower()


def test_parse_conf() -> None:
    text = "# c\n\n  port = 1234  \nlisten=127.0.0.1, [::1]:5\nport = 99\n"
    values = parse_conf(text, "f.conf", field_names())
    assert values["port"].value == "99" and values["port"].origin == "f.conf:5"
    assert values["listen"].value == "127.0.0.1, [::1]:5"
    assert list(values) == ["listen", "port"]  # the last occurrence decides the order


def test_parse_conf_value_may_contain_equals_and_hash() -> None:
    values = parse_conf("ssl_ciphers = A=B#C\n", "f", field_names())
    assert values["ssl_ciphers"].value == "A=B#C"


@pytest.mark.parametrize("line", ["nonsense", "= 5", "no_such_key = 1"])
def test_parse_conf_errors(line: str) -> None:
    with pytest.raises(ConfFileError) as info:
        parse_conf(f"{line}\n", "f.conf", field_names())
    assert info.value.exit_code == EX_CONFIG
    assert info.value.message.startswith("f.conf:1: ")


def test_read_conf_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfFileError) as info:
        read_conf(str(tmp_path / "nope.conf"), field_names())
    assert info.value.exit_code == EX_NOINPUT
    assert "No such file or directory" in info.value.message
