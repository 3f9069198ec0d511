"""Defer importing modules the daemon needs only when a feature is on.

``ssl`` and ``hmac`` (which imports ``hashlib``) map OpenSSL's libcrypto and
build their tables at import: measured 5.5 MB of RSS for the pair on CPython
3.11, about as much as trio itself adds.  trio imports ``ssl`` unconditionally
(for ``SSLStream``), and ``auth`` imports ``hmac``, but without ``-Z`` or
``-Y`` neither is ever called.

``defer(name)`` puts a placeholder module in ``sys.modules``: ``import name``
binds the placeholder, and the first attribute looked up on it imports the
real module, copies its namespace into the placeholder and puts the real
module back in ``sys.modules``.  So code that imported the placeholder and
code that imports later see the same objects.  Only modules whose importers
touch no attribute at import time gain anything: trio's ``_ssl`` and
``_highlevel_ssl_helpers`` use ``ssl`` in function bodies and string
annotations only, ``auth`` calls ``hmac`` per login.  (A compiled dataclass
looks its field types up at import, which is why ``server._TLS``, whose
fields are ``ssl`` types, is a plain class.)

Measured, fill benchmark (-m 64, 1,000,000 sets of 100 B): RSS at start
30.5 -> 25.5 MB and after the fill 102.1 -> 97.1 MB with both deferred.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types

_lock = threading.Lock()


class _Deferred(types.ModuleType):
    """Stands in for a module until one of its attributes is needed."""

    def __getattr__(self, attr: str) -> object:
        # Only called for names not (yet) in the namespace.
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)  # import machinery probing; do not load
        return getattr(_load(self), attr)


def _load(placeholder: _Deferred) -> types.ModuleType:
    name = placeholder.__name__
    with _lock:
        real = sys.modules.get(name)
        if real is None or real is placeholder:
            del sys.modules[name]
            try:
                real = importlib.import_module(name)
            except BaseException:
                sys.modules[name] = placeholder
                raise
        vars(placeholder).update(vars(real))
    return real


def defer(name: str) -> bool:
    """Install a placeholder for ``name`` unless it is already imported."""
    if name in sys.modules:
        return False
    sys.modules[name] = _Deferred(name)
    return True


def is_loaded(name: str) -> bool:
    """True once the real module ``name`` is imported (not just a placeholder)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _Deferred)
