"""Loads libgroup_redis.so and declares the C ABI (include/group_redis.h) for ctypes.

The library is looked up in $GROUP_REDIS_LIB first, then next to this package (where
`pip install` puts it). ctypes.CDLL releases the GIL around every call, so blocking calls
(lock waits, Redis round trips, event waits) let other Python threads run.
"""

from __future__ import annotations

import ctypes
import json
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_bool,
    c_char_p,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Optional

from .errors import BY_STATUS, GroupRedisError, InvalidArgumentError, InvalidJsonError

LIBRARY_NAME = "libgroup_redis.so"
ENV_OVERRIDE = "GROUP_REDIS_LIB"


def library_path() -> Path:
    """Where the native library is loaded from."""
    override = os.environ.get(ENV_OVERRIDE)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / LIBRARY_NAME


def _load() -> ctypes.CDLL:
    path = library_path()
    if not path.is_file():
        raise ImportError(
            f"group_redis: native library {path} not found; install the package with "
            f"`pip install ./python` after `cargo build --release -p group-redis-ffi`, "
            f"or set {ENV_OVERRIDE} to the library's path"
        )
    return ctypes.CDLL(str(path))


lib = _load()

# Out-parameter strings are received as void* so the pointer can be freed afterwards.
c_char_pp = POINTER(c_void_p)
Handle = c_void_p

MEMBER_CALLBACK = CFUNCTYPE(None, c_char_p, c_void_p)
STATE_CALLBACK = CFUNCTYPE(None, c_int, c_void_p)
DESTROY_CALLBACK = CFUNCTYPE(None, c_void_p)
# gr_log_callback: (gr_log_level level, const char *target, const char *message, void *user_data)
LOG_CALLBACK = CFUNCTYPE(None, c_int, c_char_p, c_char_p, c_void_p)

_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    # status, strings
    "gr_last_error": (c_char_p, []),
    "gr_status_name": (c_char_p, [c_int32]),
    "gr_version": (c_char_p, []),
    "gr_string_free": (None, [c_void_p]),
    # logs
    "gr_set_log_callback": (c_int, [LOG_CALLBACK, c_void_p, c_int32]),
    "gr_log_level_name": (c_char_p, [c_int32]),
    # options
    "gr_options_new": (c_int, [POINTER(Handle)]),
    "gr_options_free": (None, [Handle]),
    "gr_options_set_group": (c_int, [Handle, c_char_p]),
    "gr_options_set_member_id": (c_int, [Handle, c_char_p]),
    "gr_options_set_session_timeout_ms": (c_int, [Handle, c_uint64]),
    "gr_options_set_heartbeat_ms": (c_int, [Handle, c_uint64]),
    "gr_options_set_command_timeout_ms": (c_int, [Handle, c_uint64]),
    "gr_options_set_sub_groups": (c_int, [Handle, POINTER(c_char_p), c_size_t]),
    "gr_options_set_payload": (c_int, [Handle, c_char_p]),
    "gr_options_set_tls_root_cert": (c_int, [Handle, c_char_p]),
    # connector
    "gr_connect": (c_int, [c_char_p, Handle, POINTER(Handle)]),
    "gr_connector_close": (c_int, [Handle]),
    "gr_connector_free": (None, [Handle]),
    "gr_connector_state": (c_int, [Handle, POINTER(c_int)]),
    "gr_connector_session_id": (c_int, [Handle, c_char_pp]),
    "gr_connector_member_id": (c_int, [Handle, c_char_pp]),
    "gr_join": (c_int, [Handle, c_char_p, c_char_p, c_char_pp]),
    "gr_leave": (c_int, [Handle, c_char_p, POINTER(c_bool)]),
    "gr_members": (c_int, [Handle, c_char_pp]),
    "gr_take_restore_failures": (c_int, [Handle, c_char_pp]),
    "gr_update_payload": (c_int, [Handle, c_char_p, c_char_p]),
    "gr_add_sub_group": (c_int, [Handle, c_char_p]),
    "gr_remove_sub_group": (c_int, [Handle, c_char_p]),
    "gr_sub_groups": (c_int, [Handle, c_char_pp]),
    # locks
    "gr_acquire": (c_int, [Handle, c_char_p, c_char_p, c_bool, c_uint64, POINTER(c_uint64)]),
    "gr_release_member": (c_int, [Handle, c_char_p, c_char_p]),
    "gr_is_held": (c_int, [Handle, c_char_p, POINTER(c_bool)]),
    "gr_held_token": (c_int, [Handle, c_char_p, POINTER(c_uint64)]),
    # data
    "gr_ephemeral_set": (c_int, [Handle, c_char_p, c_char_p]),
    "gr_ephemeral_get": (c_int, [Handle, c_char_p, c_char_pp]),
    "gr_ephemeral_delete": (c_int, [Handle, c_char_p, POINTER(c_bool)]),
    "gr_ephemeral_list": (c_int, [Handle, c_char_p, c_char_pp]),
    "gr_persistent_set": (c_int, [Handle, c_char_p, c_char_p, POINTER(c_uint64)]),
    "gr_persistent_get": (c_int, [Handle, c_char_p, c_char_pp, POINTER(c_uint64)]),
    "gr_persistent_delete": (c_int, [Handle, c_char_p, POINTER(c_bool)]),
    "gr_persistent_list": (c_int, [Handle, c_char_p, c_char_pp]),
    "gr_persistent_set_many": (
        c_int,
        [Handle, POINTER(c_char_p), POINTER(c_char_p), c_size_t, POINTER(c_uint64)],
    ),
    "gr_persistent_cas": (c_int, [Handle, c_char_p, c_uint64, c_char_p, POINTER(c_uint64)]),
    # events
    "gr_subscribe_members": (c_int, [Handle, POINTER(Handle), c_char_pp]),
    "gr_member_subscription_next": (c_int, [Handle, c_int64, c_char_pp]),
    "gr_member_subscription_free": (None, [Handle]),
    "gr_subscribe_state": (c_int, [Handle, POINTER(Handle)]),
    "gr_state_subscription_next": (c_int, [Handle, c_int64, POINTER(c_int)]),
    "gr_state_subscription_free": (None, [Handle]),
    "gr_on_member_event": (
        c_int,
        [Handle, MEMBER_CALLBACK, c_void_p, DESTROY_CALLBACK, POINTER(Handle), c_char_pp],
    ),
    "gr_on_state_change": (
        c_int,
        [Handle, STATE_CALLBACK, c_void_p, DESTROY_CALLBACK, POINTER(Handle)],
    ),
    "gr_subscription_cancel": (None, [Handle]),
}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def check(status: int) -> None:
    """Raises the exception of a failed call; reads the error text of this thread."""
    if status == 0:
        return
    message = (lib.gr_last_error() or b"").decode("utf-8", "replace")
    name = (lib.gr_status_name(status) or b"").decode()
    raise BY_STATUS.get(status, GroupRedisError)(message or name, name)


def take_string(pointer: c_void_p) -> Optional[str]:
    """Decodes a library-owned string from an out-parameter and frees it."""
    if not pointer.value:
        return None
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib.gr_string_free(pointer)


def take_json(pointer: c_void_p) -> Any:
    """Parses a library-owned JSON string and frees it; None when the pointer is NULL."""
    text = take_string(pointer)
    return None if text is None else json.loads(text)


def encode_name(value: Any, what: str, *, optional: bool = False) -> Optional[bytes]:
    """A name as NUL-free UTF-8 bytes (the C side checks emptiness and length)."""
    if value is None:
        if optional:
            return None
        raise InvalidArgumentError(f"{what} must not be None")
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidArgumentError(f"{what} is not valid UTF-8: {err}") from None
    if b"\0" in encoded:
        raise InvalidArgumentError(f"{what} contains a NUL byte")
    return encoded


def encode_json(value: Any, what: str) -> bytes:
    """A Python value as JSON text (json module; NaN and infinities are refused)."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise InvalidJsonError(f"{what} cannot be represented as JSON: {err}") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:  # lone surrogates in a str
        raise InvalidJsonError(f"{what} is not valid UTF-8: {err}") from None


def version() -> str:
    return str(lib.gr_version().decode())
