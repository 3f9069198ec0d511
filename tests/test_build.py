"""The installed build: the request path runs compiled (mypyc) unless the
pure-Python build was asked for, and a compiled module is never older than
its source (tests would silently exercise old code)."""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the pure-Python build was installed, or tests/conftest.py imports our source
PURE_PYTHON = "1" in (
    os.environ.get("MEMCACHED_PY_PURE_PYTHON"),
    os.environ.get("MEMCACHED_PY_TEST_PURE"),
)


def compiled_module_paths() -> list[str]:
    """``COMPILED_MODULES`` as setup.py computes it, read without running setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    lists: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if isinstance(node.value, ast.List):
                lists[name] = ast.literal_eval(node.value)
            elif isinstance(node.value, ast.BinOp):
                parts = [n.id for n in (node.value.left, node.value.right)]  # type: ignore[attr-defined]
                lists[name] = [p for part in parts for p in lists[part]]
    return lists["COMPILED_MODULES"]


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def test_the_compiled_list_names_real_modules() -> None:
    paths = compiled_module_paths()
    assert "slab/_store.py" in paths and "memcached_py/server.py" in paths
    for path in paths:
        assert (ROOT / path).is_file(), path


def test_request_path_runs_as_built() -> None:
    """Compiled, unless the pure-Python build or source-only test run was asked for."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    for path in compiled_module_paths():
        module = importlib.import_module(module_name(path))
        assert module.__file__ is not None
        if PURE_PYTHON:
            assert module.__file__.endswith(".py"), f"{module.__name__} runs compiled"
        else:
            assert module.__file__.endswith(suffixes), (
                f"{module.__name__} is not compiled ({module.__file__}); "
                "reinstall with `pip install -e .`, or set MEMCACHED_PY_PURE_PYTHON=1"
            )
