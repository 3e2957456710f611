"""A lock a connector acquired (see `Connector.lock`, `try_lock`, `locked`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from .connector import Connector

__all__ = ["Lock"]


class Lock:
    """A lock this connector acquired: truthy, carries its fencing `token`, releases on
    `release()` or at the end of a `with` block."""

    __slots__ = ("name", "token", "member", "_connector", "_native_name", "_native_member",
                 "__weakref__")

    def __init__(
        self,
        connector: "Connector",
        name: str,
        token: int,
        member: Optional[str],
        native_name: bytes,
        native_member: Optional[bytes],
    ):
        self.name = name
        #: The fencing token: strictly increasing per lock name; pass it to the resource.
        self.token = token
        self.member = member
        self._connector = connector
        # The arguments as acquire passed them, so release need not encode them again.
        self._native_name = native_name
        self._native_member = native_member

    def release(self) -> bool:
        """Releases one hold; False when it was no longer held."""
        return self._connector._release(self._native_name, self._native_member)

    def __bool__(self) -> bool:
        return True

    def __enter__(self) -> "Lock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lock(name={self.name!r}, token={self.token}, member={self.member!r})"
