"""Rate limits per client on the expensive routes: draft checks, overlaps, exports and SPARQL.

A token bucket per client: a client may send ``burst`` expensive requests at once and then
``per_minute`` a minute; beyond that it gets 429 with ``Retry-After``. A client is its bearer
token's name, or without one its address. Tokens with the ``bulk`` role or above (``edit``,
``admin``) are never limited: they belong to people and systems the operator trusts with bulk
reads. Cheap reads (a document, coverage, gaps) are not limited at all.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request

from api.auth import ROLES, TokenTable

__all__ = ["BULK_ROLE", "RateLimiter", "expensive"]

BULK_ROLE = "bulk"
MAX_CLIENTS = 10_000  # buckets kept; beyond it the full ones (clients at rest) are forgotten


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by client key. Used on the event loop only, so it needs no lock."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate, self.burst = per_minute / 60.0, burst
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one request of *key*'s allowance; return 0, or the seconds to wait if there is none."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_CLIENTS:
                self._forget_resting(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _forget_resting(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.burst:
                del self._buckets[key]


async def expensive(request: Request) -> None:
    """Dependency for an expensive route: 429 with Retry-After once the client used its allowance.

    Raises:
        HTTPException: 429 when the client must wait.
    """
    limiter: RateLimiter | None = request.app.state.limiter
    if limiter is None:
        return
    table: TokenTable = request.app.state.tokens
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    principal = table.lookup(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if principal is not None and ROLES.index(principal.role) >= ROLES.index(BULK_ROLE):
        return
    key = f"token:{principal.name}" if principal else f"address:{request.client.host if request.client else '?'}"
    wait = limiter.take(key)
    if wait:
        seconds = math.ceil(wait)
        raise HTTPException(
            429,
            f"too many expensive requests (draft checks, overlaps, exports, SPARQL) from this client: "
            f"wait {seconds} s, or ask the operator for a token with the {BULK_ROLE!r} role",
            headers={"Retry-After": str(seconds)},
        )
