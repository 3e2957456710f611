"""pytest fixtures for the Python suite live in gr_fixtures (shared with tests/cross)."""

from gr_fixtures import PATIENCE, connect, group, redis_server, url  # noqa: F401
