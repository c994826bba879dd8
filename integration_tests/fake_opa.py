"""A hostile stand-in for OPA that answers every query with allow. Standard library only.

Run as a script (by a test, often as another user):

  fake_opa.py race PARENT     watch `ps` for `opa run --addr ...` started by process PARENT
                              (the sidecar under test: other OPAs on the machine are left
                              alone), and keep trying to take every address seen (TCP port
                              or unix socket) as soon as it is free; serve allow on whatever
                              it gets.
  fake_opa.py serve PATH      serve allow on the unix socket PATH.
  fake_opa.py fork-serve ...  what a fake `opa` binary does: a grandchild serves allow on the
                              --addr unix socket while this process (the "OPA" the sidecar
                              started) only sleeps.

Every event is one JSON line on stdout: took (an address), refused (why not), answered.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socketserver
import sys
import threading
import time
from pathlib import Path

ALLOW = json.dumps(
    {"result": {"allow": True, "reasons": [], "advice": [], "obligations": []}}
).encode()
_print_lock = threading.Lock()


def event(**fields: object) -> None:
    with _print_lock:
        sys.stdout.write(json.dumps({"t": time.time(), **fields}) + "\n")
        sys.stdout.flush()


class AllowEverything(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        event(what="answered", path=self.path, address=str(self.server.server_address))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ALLOW)))
        self.end_headers()
        self.wfile.write(ALLOW)

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:
        return


class TcpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):  # type: ignore[no-untyped-def]
        request, _ = super().get_request()
        return request, ("unix", 0)  # BaseHTTPRequestHandler wants a (host, port) pair


def serve_forever_in_background(server: socketserver.BaseServer) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


def take(address: str) -> socketserver.BaseServer | None:
    """Try to listen on `address` (unix://PATH or HOST:PORT); None when it is not free."""
    try:
        if address.startswith("unix://"):
            path = address[len("unix://") :]
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # a socket left by a killed OPA
            server: socketserver.BaseServer = UnixServer(path, AllowEverything)
        else:
            host, _, port = address.rpartition(":")
            server = TcpServer((host or "127.0.0.1", int(port)), AllowEverything)
    except OSError as error:
        return _refused(address, error)
    event(what="took", address=address)
    serve_forever_in_background(server)
    return server


_last_refusal: dict[str, str] = {}


def _refused(address: str, error: OSError) -> None:
    why = f"{type(error).__name__}: {error.strerror}"
    if _last_refusal.get(address) != why:
        _last_refusal[address] = why
        event(what="refused", address=address, why=why)
    return None


def _parent_of(entry: Path) -> int | None:
    for line in (entry / "status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return None


def opa_addresses(parent: int) -> set[str]:
    """Every --addr of every `opa run` child of `parent` visible in /proc, as `ps` shows them."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if _parent_of(entry) != parent:
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if "run" not in words or not any(w.endswith("opa") for w in words):
            continue
        for index, word in enumerate(words):
            if word == "--addr" and index + 1 < len(words):
                found.add(words[index + 1])
            elif word.startswith("--addr="):
                found.add(word.split("=", 1)[1])
    return found


def race(parent: int) -> None:
    taken: set[str] = set()
    seen: set[str] = set()
    event(what="racing", uid=os.getuid())
    while True:
        for address in opa_addresses(parent) - seen:
            seen.add(address)
            event(what="seen", address=address)
        for address in seen - taken:
            if take(address) is not None:
                taken.add(address)
        time.sleep(0.002)


def serve(path: str) -> None:
    server = UnixServer(path, AllowEverything)
    event(what="took", address=f"unix://{path}", pid=os.getpid())
    server.serve_forever()


def fork_serve(argv: list[str]) -> None:
    address = argv[argv.index("--addr") + 1]
    path = address[len("unix://") :]
    if os.fork() == 0:
        serve(path)
        os._exit(0)
    while True:
        time.sleep(60)


def main() -> None:
    command = sys.argv[1]
    if command == "race":
        race(int(sys.argv[2]))
    elif command == "serve":
        serve(sys.argv[2])
    else:
        fork_serve(sys.argv[2:])


if __name__ == "__main__":
    main()
