"""The cross-language test shares python/tests' fixtures (redis-server on a free port)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python", "tests"))

from gr_fixtures import connect, group, redis_server, url  # noqa: E402,F401
