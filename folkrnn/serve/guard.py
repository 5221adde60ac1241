"""What keeps the web composer safe on a laptop: an ASGI middleware in front of the app.

- Host: a request must name the address served (`127.0.0.1:8750`, `localhost:8750`,
  `[::1]:8750`; on a wider address, that address or any IP literal), so a page on another
  site that rebinds its DNS name to 127.0.0.1 is refused (DNS rebinding).
- Origin: a request that changes anything (POST, PATCH, PUT, DELETE) from a browser
  must come from the page itself: an `Origin` (or, without one, a `Referer`) of another
  origin is refused, and so is any API request with `Sec-Fetch-Site: cross-site` (CSRF,
  and another site's `<audio src>` making this machine render). The JSON API also takes
  only `application/json`, which no cross-site form can send.
- Size: a body over `MAX_BODY` bytes is refused from its `Content-Length`, or when it
  grows past it, before the app reads it.
- Headers: a Content-Security-Policy that names no outside origin, no sniffing, no
  referrer, no framing.
Refusals are JSON `{"error": "one sentence"}` with a 4xx status.
"""
from __future__ import annotations

import ipaddress
import json

MAX_BODY = 64 * 1024  # bytes: a request holds settings and at most a tune's ABC
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY")]
CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host headers a server bound to `host`:`port` answers."""
    names = {host, "127.0.0.1", "localhost", "[::1]"} if _loopback(host) else {host}
    return {f"{n}:{port}" for n in names} | ({n for n in names} if port == 80 else set())


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _ip_literal(hostport: str) -> bool:
    host = hostport.rsplit(":", 1)[0] if not hostport.endswith("]") else hostport
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


class Guard:
    """ASGI middleware: the checks of the module docstring, then `app`."""

    def __init__(self, app, host: str, port: int, max_body: int = MAX_BODY) -> None:
        self.app, self.max_body = app, max_body
        self.hosts = allowed_hosts(host, port)
        self.any_ip = host in ("0.0.0.0", "::")  # told to listen widely: IP literals are safe

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            return await _json(send, *refusal)
        size = headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > self.max_body):
            return await _json(send, 413, f"the request body is over {self.max_body} bytes")
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge()
            return message

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS}
            await send(message)

        try:
            await self.app(scope, limited_receive, with_headers)
        except BodyTooLarge:
            await _json(send, 413, f"the request body is over {self.max_body} bytes")

    def _refusal(self, scope, headers: dict) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if host not in self.hosts and not (self.any_ip and _ip_literal(host)):
            return 421, f"this server answers to {sorted(self.hosts)[0]}, not {host or 'no Host'}"
        if scope["method"] in CHANGING:
            origin = headers.get("origin") or _origin_of(headers.get("referer", ""))
            if origin and origin != f"http://{host}":
                return 403, f"a change from another page ({origin}) is refused"
        if headers.get("sec-fetch-site") == "cross-site" and (
                scope["method"] in CHANGING or scope["path"].startswith("/api/")):
            # not even a read: another site's <audio src> would make this machine render
            return 403, "a request from another site is refused"
        return None


class BodyTooLarge(Exception):
    pass


def _origin_of(referer: str) -> str:
    parts = referer.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 and parts[0] in ("http:", "https:") else ""


async def _json(send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())] + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})
