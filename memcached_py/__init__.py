"""memcached-py: a memcached-compatible cache daemon on trio.

This module holds only version facts so that importing it never pulls in trio.
"""

__version__ = "0.1.0"

#: The version we announce to clients (``version`` command, ``-V``). Client
#: libraries gate features (meta commands, gat) on memcached's version number,
#: so we report the memcached release whose protocol we follow.
PROTOCOL_VERSION = "1.6.45"
