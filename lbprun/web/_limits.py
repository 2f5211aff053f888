"""Request guards of the clinic web app: body-size limit, per-client rate limit, headers.

One pure ASGI middleware does all three, before FastAPI sees a request:

- a request body larger than the limit is answered ``413`` without being read further (the
  ``Content-Length`` header is checked first, then the bytes actually received);
- each client (by IP address) draws from a token bucket of ``burst`` tokens refilled at
  ``rate`` per second; an empty bucket is answered ``429`` with ``Retry-After``;
- every response carries the security headers of :data:`SECURITY_HEADERS` and the content
  security policy of the page.

Examples
--------
>>> bucket = TokenBucket(rate=1.0, burst=2)
>>> [bucket.allow("a", now=0.0) for _ in range(3)]
[True, True, False]
>>> bucket.allow("a", now=1.0), bucket.allow("b", now=1.0)
(True, True)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SECURITY_HEADERS", "GuardMiddleware", "RateLimit", "TokenBucket"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Headers sent with every response (the content security policy is added per app).
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)

#: Clients remembered by the rate limiter before idle ones are forgotten.
_MAX_CLIENTS = 10_000


@dataclass(frozen=True)
class RateLimit:
    """A per-client request rate: ``rate`` requests per second on average, bursts of ``burst``.

    Parameters
    ----------
    rate : float, default=10.0
        Tokens added per second (requests per second allowed on average); > 0.
    burst : int, default=20
        Bucket size (requests allowed at once after a pause); >= 1.

    Examples
    --------
    >>> RateLimit(rate=5, burst=10)
    RateLimit(rate=5, burst=10)
    """

    rate: float = 10.0
    burst: int = 20

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"rate must be > 0 requests per second; got {self.rate!r}.")
        if int(self.burst) != self.burst or self.burst < 1:
            raise ValueError(f"burst must be an integer >= 1; got {self.burst!r}.")


class TokenBucket:
    """Per-key token buckets (thread-safe), ``burst`` tokens refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one token of ``key``'s bucket; False when it is empty."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._buckets) >= _MAX_CLIENTS and key not in self._buckets:
                self._forget_full(now)
            self._buckets[key] = (tokens, now)
            return allowed

    def retry_after(self) -> int:
        """Whole seconds until one token is back."""
        return max(1, int(1.0 / self.rate + 0.999))

    def _forget_full(self, now: float) -> None:
        full = [
            k
            for k, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.burst
        ]
        for k in full or list(self._buckets)[: _MAX_CLIENTS // 2]:
            del self._buckets[k]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class GuardMiddleware:
    """ASGI middleware: body-size limits, per-client rate limit and security headers.

    Parameters
    ----------
    app : ASGI application
        The application guarded.
    max_body_bytes : int
        Largest body of a JSON or urlencoded request.
    max_upload_bytes : int
        Largest body of a ``multipart/form-data`` request (the form with a training log).
    rate_limit : RateLimit or None
        Per-client rate; None turns the limiter off.
    content_security_policy : str
        The ``Content-Security-Policy`` header value.
    """

    def __init__(
        self,
        app: Any,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        rate_limit: RateLimit | None,
        content_security_policy: str,
    ) -> None:
        self.app = app
        self.max_body_bytes = int(max_body_bytes)
        self.max_upload_bytes = int(max_upload_bytes)
        self.bucket = (
            None if rate_limit is None else TokenBucket(rate_limit.rate, rate_limit.burst)
        )
        self.headers = [
            *SECURITY_HEADERS,
            (b"content-security-policy", content_security_policy.encode("ascii")),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        client = (scope.get("client") or ("unknown", 0))[0]
        if self.bucket is not None and not self.bucket.allow(str(client)):
            await _error(
                send_with_headers,
                429,
                "too many requests from this client; try again shortly",
                [(b"retry-after", str(self.bucket.retry_after()).encode())],
            )
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send_with_headers)
            return
        content_type = (_header(scope, b"content-type") or "").lower()
        limit = (
            self.max_upload_bytes
            if content_type.startswith("multipart/form-data")
            else self.max_body_bytes
        )
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _too_large(send_with_headers, limit)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send_with_headers, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)


async def _too_large(send: Send, limit: int) -> None:
    await _error(send, 413, f"request body larger than the limit of {limit} bytes")


async def _error(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
