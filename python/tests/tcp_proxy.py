"""A TCP proxy on a free loopback port in front of a redis-server, for partition tests:
`pause()` stops it forwarding in both directions while every connection stays open (the
client sees a silent network, not a refused one); `resume()` lets the held bytes through.

`pause()` is synchronous: once it returns, no byte crosses the proxy until `resume()`
(a chunk being forwarded at that moment is finished first). Connections accepted while
paused are connected to Redis but forward nothing either."""

from __future__ import annotations

import select
import socket
import threading


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self._changed = threading.Condition()
        self._forwarding = True
        self._in_flight = 0  # chunks between recv and sendall, counted under _changed
        self._stopped = False
        self._sockets: set[socket.socket] = set()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name=f"proxy-{self.port}", daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def pause(self) -> None:
        """Stops forwarding in both directions; returns once nothing is mid-forward."""
        with self._changed:
            self._forwarding = False
            self._changed.wait_for(lambda: self._in_flight == 0)

    def resume(self) -> None:
        with self._changed:
            self._forwarding = True
            self._changed.notify_all()

    def close(self) -> None:
        """Stops accepting and closes every proxied connection (both ends)."""
        with self._changed:
            self._stopped = True
            self._forwarding = True
            self._changed.notify_all()
            sockets = list(self._sockets)
        self._listener.close()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "TcpProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            with self._changed:
                if self._stopped:
                    return
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # listener closed
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._changed:
                if self._stopped:
                    client.close()
                    server.close()
                    return
                self._sockets.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        try:
            while True:
                with self._changed:
                    # Paused: bytes stay in the kernel's buffers, the connection stays open.
                    self._changed.wait_for(lambda: self._forwarding or self._stopped)
                    if self._stopped:
                        return
                readable, _, _ = select.select(list(peers), [], [], 0.01)
                if not readable:
                    continue
                with self._changed:
                    if not self._forwarding or self._stopped:
                        continue  # paused between select and here: forward nothing
                    self._in_flight += 1
                try:
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            return
                        peers[sock].sendall(data)
                finally:
                    with self._changed:
                        self._in_flight -= 1
                        self._changed.notify_all()
        except OSError:
            pass
        finally:
            with self._changed:
                self._sockets.difference_update((client, server))
            client.close()
            server.close()
