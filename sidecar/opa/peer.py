"""Who is at the other end of a unix socket: the kernel's SO_PEERCRED, not anything the peer says.

A unix socket path only names a file. Whoever binds it first serves it, so before the
sidecar trusts an answer from the socket it asks the kernel which process is listening.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass(frozen=True)
class PeerCredentials:
    """The process that listened on the socket, as the kernel recorded it."""

    pid: int
    uid: int
    gid: int


@dataclass(frozen=True)
class ExpectedPeer:
    """Who may serve OPA's socket.

    `pid` is the OPA child the sidecar started itself; None when OPA runs elsewhere (another
    container has another pid namespace, where the kernel reports pid 0), and then only the
    user is checked.
    """

    uid: int
    pid: int | None = None

    @classmethod
    def child(cls, pid: int) -> ExpectedPeer:
        return cls(uid=os.getuid(), pid=pid)

    @classmethod
    def same_user(cls) -> ExpectedPeer:
        return cls(uid=os.getuid())

    def mismatch(self, found: PeerCredentials) -> str | None:
        """Why `found` is not this peer, or None when it is."""
        if self.pid is not None and found.pid != self.pid:
            return f"socket served by pid {found.pid}, not by the OPA started as pid {self.pid}"
        if found.uid != self.uid:
            return f"socket served by uid {found.uid}, not by uid {self.uid}"
        return None


class ImpostorError(ConnectionError):
    """The OPA socket is served by a process other than the expected one."""


def peer_credentials(sock: socket.socket) -> PeerCredentials:
    """The credentials of the process at the other end of connected unix socket `sock`."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return PeerCredentials(pid=pid, uid=uid, gid=gid)


def verify_peer(sock: socket.socket, expected: ExpectedPeer) -> None:
    """Raise ImpostorError unless `sock`'s peer is `expected`."""
    problem = expected.mismatch(peer_credentials(sock))
    if problem is not None:
        raise ImpostorError(problem)


def verify_socket_path(path: str, expected: ExpectedPeer, *, timeout: float = 1.0) -> None:
    """Connect to the unix socket at `path` and check who serves it; OSError if no one does."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        verify_peer(sock, expected)
