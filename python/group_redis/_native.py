"""Loads libgroup_redis.so and declares the C ABI (include/group_redis.h) for ctypes.

The library is looked up in $GROUP_REDIS_LIB first, then next to this package (where
`pip install` puts it). ctypes.CDLL releases the GIL around every call, so blocking calls
(lock waits, Redis round trips, event waits) let other Python threads run; calls without
I/O release it too, since one may wait for a library lock held by a thread that needs
the GIL to run a Python callback.

FUNCTIONS and CALLBACKS are written as the header declares them (type spellings and
parameter names); python/tests/test_header_abi.py checks them against the header, so the
header stays the one source. UNUSED lists the exports deliberately not called.
"""

from __future__ import annotations

import ctypes
import functools
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

from .errors import BY_STATUS, GroupRedisError, InvalidArgumentError, InvalidJsonError, Status

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

# The C types the declarations below use, spelled as include/group_redis.h spells them, and
# the ctypes type each is passed as. python/tests/test_header_abi.py parses the header and
# checks every declaration against it, and each of these against gcc (width, signedness,
# pointer levels).
C_TYPES: dict[str, Any] = {
    "void": None,
    "bool": c_bool,
    "int32_t": c_int32,
    "int64_t": c_int64,
    "uint64_t": c_uint64,
    "size_t": c_size_t,
    # C enums: int-sized, and every value of the header's enums fits an int.
    "enum gr_status": c_int,
    "enum gr_connection_state": c_int,
    "enum gr_log_level": c_int,
    "void *": c_void_p,
    # Arguments: bytes from Python. Results: static strings of the library, copied to bytes.
    "const char *": c_char_p,
    # Strings the library allocated (out-parameters and gr_string_free's argument) are
    # received as void*, not c_char_p: ctypes would copy a c_char_p to bytes and lose the
    # pointer, which must go back to gr_string_free.
    "char *": c_void_p,
    "char **": POINTER(c_void_p),
    "const char *const *": POINTER(c_char_p),
    "bool *": POINTER(c_bool),
    "uint64_t *": POINTER(c_uint64),
    "enum gr_connection_state *": POINTER(c_int),
}
# Opaque handles: a void* to Python, whether the header passes them const or not.
for _handle in ("gr_connector", "gr_options", "gr_subscription", "gr_leadership", "gr_assignment",
                "gr_provider"):
    C_TYPES[f"struct {_handle} *"] = C_TYPES[f"const struct {_handle} *"] = c_void_p
    C_TYPES[f"struct {_handle} **"] = POINTER(c_void_p)

#: A declaration: the return type and the (type, name) of each parameter, as in the header.
Declaration = tuple[str, list[tuple[str, str]]]

#: The header's callback typedefs.
CALLBACKS: dict[str, Declaration] = {
    "gr_event_callback": ("void", [("const char *", "event_json"), ("void *", "user_data")]),
    "gr_destroy_callback": ("void", [("void *", "user_data")]),
    "gr_log_callback": (
        "void",
        [("enum gr_log_level", "level"), ("const char *", "target"), ("const char *", "message"),
         ("void *", "user_data")],
    ),
}
for _name, (_returns, _params) in CALLBACKS.items():
    C_TYPES[_name] = CFUNCTYPE(C_TYPES[_returns], *(C_TYPES[t] for t, _ in _params))

EVENT_CALLBACK = C_TYPES["gr_event_callback"]
DESTROY_CALLBACK = C_TYPES["gr_destroy_callback"]
LOG_CALLBACK = C_TYPES["gr_log_callback"]

_CONN = ("const struct gr_connector *", "conn")
_SUB = ("const struct gr_subscription *", "subscription")
_SUB_OUT = ("struct gr_subscription **", "subscription_out")
_LEADERSHIP = ("const struct gr_leadership *", "leadership")
_PROVIDER = ("const struct gr_provider *", "provider")
_OPTIONS = ("struct gr_options *", "options")
_STATUS = "enum gr_status"

#: Every export this package calls, declared as in the header.
FUNCTIONS: dict[str, Declaration] = {
    # status, strings
    "gr_last_error": ("const char *", []),
    "gr_status_name": ("const char *", [("int32_t", "status")]),
    "gr_version": ("const char *", []),
    "gr_string_free": ("void", [("char *", "string")]),
    # logs
    "gr_set_log_callback": (
        _STATUS,
        [("gr_log_callback", "callback"), ("void *", "user_data"), ("int32_t", "min_level")],
    ),
    "gr_log_level_name": ("const char *", [("int32_t", "level")]),
    # options
    "gr_options_new": (_STATUS, [("struct gr_options **", "options_out")]),
    "gr_options_free": ("void", [_OPTIONS]),
    "gr_options_set_group": (_STATUS, [_OPTIONS, ("const char *", "group")]),
    "gr_options_set_member_id": (_STATUS, [_OPTIONS, ("const char *", "member_id")]),
    "gr_options_set_session_timeout_ms": (_STATUS, [_OPTIONS, ("uint64_t", "timeout_ms")]),
    "gr_options_set_heartbeat_ms": (_STATUS, [_OPTIONS, ("uint64_t", "heartbeat_ms")]),
    "gr_options_set_command_timeout_ms": (_STATUS, [_OPTIONS, ("uint64_t", "timeout_ms")]),
    "gr_options_set_max_lease_ms": (_STATUS, [_OPTIONS, ("uint64_t", "max_lease_ms")]),
    "gr_options_set_wait_replicas": (
        _STATUS,
        [_OPTIONS, ("uint64_t", "replicas"), ("uint64_t", "timeout_ms")],
    ),
    "gr_options_set_sub_groups": (
        _STATUS,
        [_OPTIONS, ("const char *const *", "sub_groups"), ("size_t", "count")],
    ),
    "gr_options_set_payload": (_STATUS, [_OPTIONS, ("const char *", "payload_json")]),
    "gr_options_set_tls_root_cert": (_STATUS, [_OPTIONS, ("const char *", "pem")]),
    # connector
    "gr_connect": (
        _STATUS,
        [("const char *", "url"), ("const struct gr_options *", "options"),
         ("struct gr_connector **", "conn_out")],
    ),
    "gr_connector_close": (_STATUS, [_CONN]),
    "gr_connector_free": ("void", [("struct gr_connector *", "conn")]),
    "gr_connector_state": (_STATUS, [_CONN, ("enum gr_connection_state *", "state_out")]),
    "gr_connector_session_id": (_STATUS, [_CONN, ("char **", "session_id_out")]),
    "gr_connector_member_id": (_STATUS, [_CONN, ("char **", "member_id_out")]),
    "gr_join": (
        _STATUS,
        [_CONN, ("const char *", "member_id"), ("const char *", "payload_json"),
         ("char **", "member_json_out")],
    ),
    "gr_leave": (_STATUS, [_CONN, ("const char *", "member_id"), ("bool *", "left_out")]),
    "gr_members": (_STATUS, [_CONN, ("char **", "members_json_out")]),
    "gr_take_restore_failures": (_STATUS, [_CONN, ("char **", "failures_json_out")]),
    "gr_update_payload": (
        _STATUS, [_CONN, ("const char *", "member_id"), ("const char *", "payload_json")]
    ),
    "gr_set_online": (_STATUS, [_CONN, ("const char *", "member_id"), ("bool", "online")]),
    "gr_add_sub_group": (_STATUS, [_CONN, ("const char *", "sub_group")]),
    "gr_remove_sub_group": (_STATUS, [_CONN, ("const char *", "sub_group")]),
    "gr_sub_groups": (_STATUS, [_CONN, ("char **", "sub_groups_json_out")]),
    # locks
    "gr_acquire": (
        _STATUS,
        [_CONN, ("const char *", "member"), ("const char *", "name"), ("bool", "reentrant"),
         ("uint64_t", "wait_ms"), ("uint64_t *", "token_out")],
    ),
    "gr_release_as": (_STATUS, [_CONN, ("const char *", "member"), ("const char *", "name")]),
    "gr_is_held": (_STATUS, [_CONN, ("const char *", "name"), ("bool *", "held_out")]),
    "gr_held_token": (_STATUS, [_CONN, ("const char *", "name"), ("uint64_t *", "token_out")]),
    "gr_lock_holder": (_STATUS, [_CONN, ("const char *", "name"), ("char **", "holder_json_out")]),
    "gr_lock_status": (_STATUS, [_CONN, ("const char *", "name"), ("char **", "status_json_out")]),
    # ephemeral data
    "gr_ephemeral_set": (_STATUS, [_CONN, ("const char *", "key"), ("const char *", "value_json")]),
    "gr_ephemeral_get": (_STATUS, [_CONN, ("const char *", "key"), ("char **", "value_json_out")]),
    "gr_ephemeral_delete": (_STATUS, [_CONN, ("const char *", "key"), ("bool *", "deleted_out")]),
    "gr_ephemeral_list": (
        _STATUS, [_CONN, ("const char *", "prefix"), ("char **", "entries_json_out")]
    ),
    # persistent data
    "gr_persistent_set": (
        _STATUS,
        [_CONN, ("const char *", "path"), ("const char *", "value_json"),
         ("uint64_t *", "version_out")],
    ),
    "gr_persistent_get": (
        _STATUS,
        [_CONN, ("const char *", "path"), ("char **", "versioned_json_out")],
    ),
    "gr_persistent_delete": (_STATUS, [_CONN, ("const char *", "path"), ("bool *", "deleted_out")]),
    "gr_persistent_list": (
        _STATUS, [_CONN, ("const char *", "prefix"), ("char **", "entries_json_out")]
    ),
    "gr_persistent_set_many": (
        _STATUS,
        [_CONN, ("const char *", "entries_json"), ("char **", "versions_json_out")],
    ),
    "gr_persistent_cas": (
        _STATUS,
        [_CONN, ("const char *", "path"), ("uint64_t", "expected_version"),
         ("const char *", "value_json"), ("uint64_t *", "new_version_out")],
    ),
    # subscriptions: one handle for every kind
    "gr_subscribe_members": (_STATUS, [_CONN, _SUB_OUT]),
    "gr_subscribe_state": (_STATUS, [_CONN, _SUB_OUT]),
    "gr_watch": (
        _STATUS, [_CONN, ("const char *", "prefix"), ("uint64_t", "from_revision"), _SUB_OUT]
    ),
    "gr_watch_ephemeral": (
        _STATUS, [_CONN, ("const char *", "prefix"), ("uint64_t", "from_revision"), _SUB_OUT]
    ),
    "gr_subscription_snapshot": (_STATUS, [_SUB, ("char **", "snapshot_json_out")]),
    "gr_subscription_next": (
        _STATUS, [_SUB, ("int64_t", "timeout_ms"), ("char **", "event_json_out")]
    ),
    "gr_subscription_listen": (
        _STATUS,
        [_SUB, ("gr_event_callback", "callback"), ("void *", "user_data"),
         ("gr_destroy_callback", "destroy")],
    ),
    "gr_subscription_free": ("void", [("struct gr_subscription *", "subscription")]),
    # leader election: a leadership handle, its states through the subscription handle
    "gr_elect": (
        _STATUS, [_CONN, ("const char *", "name"), ("struct gr_leadership **", "leadership_out")]
    ),
    "gr_leadership_is_leader": (_STATUS, [_LEADERSHIP, ("bool *", "is_leader_out")]),
    "gr_leadership_token": (_STATUS, [_LEADERSHIP, ("uint64_t *", "token_out")]),
    "gr_leadership_subscribe": (_STATUS, [_LEADERSHIP, _SUB_OUT]),
    "gr_leadership_resign": (_STATUS, [_LEADERSHIP]),
    "gr_leadership_free": ("void", [("struct gr_leadership *", "leadership")]),
    "gr_leader": (_STATUS, [_CONN, ("const char *", "name"), ("char **", "leader_json_out")]),
    "gr_observe_leader": (_STATUS, [_CONN, ("const char *", "name"), _SUB_OUT]),
    # controlled assignments: an assignment handle, its shares through the subscription handle
    "gr_assignments": (
        _STATUS,
        [_CONN, ("const char *", "topic"), ("const char *", "ids_json"),
         ("const char *", "sub_group"), ("struct gr_assignment **", "assignment_out")],
    ),
    "gr_assignment_share": (
        _STATUS, [("const struct gr_assignment *", "assignment"), ("char **", "share_json_out")]
    ),
    "gr_assignment_subscribe": (
        _STATUS, [("const struct gr_assignment *", "assignment"), _SUB_OUT]
    ),
    "gr_assignment_free": ("void", [("struct gr_assignment *", "assignment")]),
    # service discovery: a provider handle, its changes through the subscription handle
    "gr_service_provider": (
        _STATUS,
        [_CONN, ("const char *", "options_json"), ("struct gr_provider **", "provider_out")],
    ),
    "gr_provider_instance": (_STATUS, [_PROVIDER, ("char **", "member_json_out")]),
    "gr_provider_instances": (_STATUS, [_PROVIDER, ("char **", "members_json_out")]),
    "gr_provider_note_error": (_STATUS, [_PROVIDER, ("const char *", "member_id")]),
    "gr_provider_subscribe": (_STATUS, [_PROVIDER, _SUB_OUT]),
    "gr_provider_free": ("void", [("struct gr_provider *", "provider")]),
    # messages and topics
    "gr_topic_send": (
        _STATUS,
        [_CONN, ("const char *", "topic"), ("const char *", "messages_json"),
         ("char **", "indexes_json_out")],
    ),
    "gr_topic_read": (
        _STATUS,
        [_CONN, ("const char *", "topic"), ("uint64_t", "from_index"), ("uint64_t", "max_count"),
         ("int64_t", "wait_ms"), ("char **", "batch_json_out")],
    ),
    "gr_topic_info": (_STATUS, [_CONN, ("const char *", "topic"), ("char **", "info_json_out")]),
    "gr_topic_set_retention": (
        _STATUS,
        [_CONN, ("const char *", "topic"), ("uint64_t", "max_len"), ("uint64_t", "max_age_ms"),
         ("uint64_t *", "removed_out")],
    ),
    "gr_topic_consume": (
        _STATUS,
        [_CONN, ("const char *", "topic"), ("const char *", "group"), ("uint64_t", "max_count"),
         ("int64_t", "wait_ms"), ("char **", "messages_json_out")],
    ),
    "gr_topic_ack": (
        _STATUS,
        [_CONN, ("const char *", "topic"), ("const char *", "group"),
         ("const char *", "indexes_json"), ("char **", "acked_json_out")],
    ),
    "gr_send": (
        _STATUS, [_CONN, ("const char *", "member_id"), ("const char *", "payload_json")]
    ),
    "gr_broadcast": (
        _STATUS,
        [_CONN, ("const char *", "payload_json"), ("const char *", "sub_group"),
         ("uint64_t *", "recipients_out")],
    ),
    "gr_request": (
        _STATUS,
        [_CONN, ("const char *", "member_id"), ("const char *", "payload_json"),
         ("uint64_t", "timeout_ms"), ("char **", "reply_json_out")],
    ),
    "gr_reply": (
        _STATUS, [_CONN, ("const char *", "request_json"), ("const char *", "payload_json")]
    ),
    "gr_listen": (_STATUS, [_CONN, ("const char *", "member_id"), _SUB_OUT]),
}

#: Exports of the header this package deliberately does not call, and why. A new export
#: that is in neither table fails python/tests/test_header_abi.py.
UNUSED: dict[str, str] = {
    "gr_lock": "a shorthand of gr_acquire, which Connector.lock calls",
    "gr_lock_as": "a shorthand of gr_acquire (member first, the seed API's order)",
    "gr_reentrant_lock": "a shorthand of gr_acquire",
    "gr_reentrant_lock_as": "a shorthand of gr_acquire",
    "gr_try_lock": "a shorthand of gr_acquire",
    "gr_release": "a shorthand of gr_release_as (NULL member), which Connector.release calls",
}

for _name, (_returns, _params) in FUNCTIONS.items():
    _function = getattr(lib, _name)
    _function.restype = C_TYPES[_returns]
    _function.argtypes = [C_TYPES[t] for t, _ in _params]


def check(status: int) -> None:
    """Raises the exception of a failed call (see `error`)."""
    if status:
        raise error(status)


def error(status: int) -> GroupRedisError:
    """The exception for a failure status, with the error text of this thread's last call
    (so no other `gr_` call may come between the failed one and this)."""
    message = (lib.gr_last_error() or b"").decode("utf-8", "replace")
    try:
        name = Status(status).name
    except ValueError:  # a status newer than this package: the library knows its name
        name = (lib.gr_status_name(status) or b"").decode()
    return BY_STATUS.get(status, GroupRedisError)(message or name, name)


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


@functools.lru_cache(maxsize=1024)
def _checked_utf8(value: str) -> bytes:
    """`value` as NUL-free UTF-8, or ValueError saying what is wrong with it. Cached
    because names repeat (the same lock taken and released again and again) and encoding
    and checking cost more than the lookup; failures are not cached."""
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"is not valid UTF-8: {err}") from None
    if b"\0" in encoded:
        raise ValueError("contains a NUL byte")
    return encoded


def encode_name(value: Any, what: str, *, optional: bool = False) -> Optional[bytes]:
    """A name as NUL-free UTF-8 bytes (the C side checks emptiness and length); None
    stays None when `optional`."""
    if type(value) is str:
        checked = _checked_utf8
    elif isinstance(value, str):
        # A str subclass may define == and hash its own way: not looked up in the cache.
        checked = _checked_utf8.__wrapped__
    elif value is None:
        if optional:
            return None
        raise InvalidArgumentError(f"{what} must not be None")
    else:
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    try:
        return checked(value)
    except ValueError as err:
        raise InvalidArgumentError(f"{what} {err}") from None


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
