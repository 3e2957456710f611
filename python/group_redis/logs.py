"""The native library's log records, forwarded to the `logging` module.

Installed when `group_redis` is imported. Records go to the logger named after their
source: ``group_redis.connector``, ``group_redis.session.heartbeat``, ... (children of
``group_redis``), with `logging` levels ERROR, WARNING, INFO, DEBUG and `TRACE` (5, below
DEBUG). Configure them as any logger, e.g.::

    logging.getLogger("group_redis").setLevel(logging.DEBUG)
    group_redis.refresh_log_level()

The native library only sends what the ``group_redis`` loggers would keep: the most verbose
effective level among them, read on import, on every `connect()` and by
`refresh_log_level()` (call it after lowering a level at run time; raising one takes effect
at once). Each record is also checked with `Logger.isEnabledFor` before it is made.

Records arrive on the thread that logged: a library thread, or the caller's thread inside a
call. Nothing raised while handling one (a failing handler or filter) reaches the native
library; such a record is dropped.
"""

from __future__ import annotations

import atexit
import logging
import threading
from ctypes import c_void_p

from . import _native
from ._native import LOG_CALLBACK, lib
from .errors import GroupRedisError

#: The parent of every logger records go to.
LOGGER_NAME = "group_redis"
#: The `logging` level of TRACE records (more verbose than DEBUG).
TRACE = 5

# gr_log_level (1 = ERROR .. 5 = TRACE) -> logging level.
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: TRACE}

_install_lock = threading.Lock()
_installed_level = 0  # the gr_log_level last passed to the library; 0 = not installed
_logger_names: dict[bytes, str] = {}


def _logger_name(target: bytes) -> str:
    """b"group_redis::connector" -> "group_redis.connector" (cached)."""
    name = _logger_names.get(target)
    if name is None:
        name = target.decode("utf-8", "replace").replace("::", ".")
        if name != LOGGER_NAME and not name.startswith(LOGGER_NAME + "."):
            name = f"{LOGGER_NAME}.{name}"
        _logger_names[target] = name
    return name


def _forward(level: int, target: bytes, message: bytes, _user_data: c_void_p) -> None:
    # Runs inside the native library: nothing may propagate out of it.
    try:
        py_level = _LEVELS.get(level, logging.WARNING)
        logger = logging.getLogger(_logger_name(target or b""))
        if logger.isEnabledFor(py_level):
            text = (message or b"").decode("utf-8", "replace")
            logger.log(py_level, text, extra={"target": (target or b"").decode("utf-8", "replace")})
    except BaseException:  # noqa: BLE001  (a record is not worth an exception in native code)
        pass


# Kept alive for as long as the module: the library holds only the function pointer.
_CALLBACK = LOG_CALLBACK(_forward)


def _native_level() -> int:
    """The gr_log_level matching the most verbose effective level of the group_redis
    loggers (the parent and any child configured so far)."""
    loggers = [logging.getLogger(LOGGER_NAME)]
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith(LOGGER_NAME + ".") and isinstance(logger, logging.Logger):
            loggers.append(logger)
    level = min(logger.getEffectiveLevel() for logger in loggers)
    if level > logging.WARNING:
        return 1
    if level > logging.INFO:
        return 2
    if level > logging.DEBUG:
        return 3
    if level > TRACE:
        return 4
    return 5


def refresh_log_level() -> None:
    """Tells the native library which records the ``group_redis`` loggers want now. Cheap
    when nothing changed (no native call)."""
    global _installed_level
    level = _native_level()
    with _install_lock:
        if level != _installed_level:
            _native.check(lib.gr_set_log_callback(_CALLBACK, None, level))
            _installed_level = level


def refresh_for_connect() -> None:
    """`refresh_log_level()` for `connect()`: a failure to set up logging (e.g. connecting
    from inside a log handler, where the level cannot change) must not stop a connect."""
    try:
        refresh_log_level()
    except GroupRedisError:
        pass  # records keep going where they went before


def _uninstall() -> None:
    # At exit, before the interpreter goes away under a library thread that would call in.
    global _installed_level
    with _install_lock:
        lib.gr_set_log_callback(LOG_CALLBACK(), None, 2)
        _installed_level = 0


__all__ = ["LOGGER_NAME", "TRACE", "refresh_log_level"]

if logging.getLevelName(TRACE) == f"Level {TRACE}":
    logging.addLevelName(TRACE, "TRACE")  # unless the application named level 5 already
refresh_log_level()
atexit.register(_uninstall)
