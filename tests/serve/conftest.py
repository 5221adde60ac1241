"""A real folkrnn server (uvicorn, the bundled model, a fresh SQLite tune book) per module."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp_path, queue_size: int = 8) -> None:
        import uvicorn

        from folkrnn.serve import create_app

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.app = create_app(None, tmp_path / "tunes.sqlite", "127.0.0.1", self.port,
                              queue_size=queue_size)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.05)

    @property
    def composer(self):
        return self.app.app.state.composer

    def call(self, path: str, body=None, method: str | None = None, headers: dict | None = None,
             raw: bytes | None = None):
        """(status, headers, decoded JSON or bytes) of one request."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {"Content-Type": "application/json"} if data is not None else {}
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, headers=h,
                                     method=method or ("POST" if data is not None else "GET"))
        try:
            with urllib.request.urlopen(req, timeout=120) as res:
                return res.status, dict(res.headers), _decoded(res.read(), res.headers)
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), _decoded(err.read(), err.headers)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _decoded(data: bytes, headers):
    if headers.get("content-type", "").startswith("application/json"):
        return json.loads(data)
    return data


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("serve"))
    yield s
    s.stop()
