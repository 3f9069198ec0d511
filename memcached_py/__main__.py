"""``python -m memcached_py``: same as the ``memcached-py`` console script."""

import sys

from memcached_py.cli import main

sys.exit(main())
