"""Bearer tokens with roles (read, bulk, edit, admin), configured by the operator, kept hashed in memory."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request

__all__ = ["ROLES", "Principal", "TokenTable", "parse_tokens", "require"]

# Each role may do what the ones before it may; bulk reads without rate limits (api.ratelimit).
ROLES = ("read", "bulk", "edit", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is asking: the token's name (recorded in history) and its role."""

    name: str
    role: str


class TokenTable:
    """Token hashes with their names and roles; a presented token is checked in constant time."""

    def __init__(self, entries: list[tuple[str, str, str]]) -> None:
        self._entries = [
            (hashlib.sha256(token.encode()).digest(), Principal(name, role)) for name, role, token in entries
        ]

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, token: str) -> Principal | None:
        """Return the principal of *token*, comparing against every entry so timing tells nothing."""
        presented = hashlib.sha256(token.encode()).digest()
        found = None
        for digest, principal in self._entries:
            if hmac.compare_digest(digest, presented):
                found = principal
        return found


def parse_tokens(text: str) -> list[tuple[str, str, str]]:
    """Parse ``name:role:token`` entries separated by commas or new lines.

    Raises:
        ValueError: naming the entry that is malformed or has an unknown role (never the token).
    """
    entries = []
    for number, raw in enumerate(text.replace(",", "\n").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(":")
        role, _, token = rest.partition(":")
        if not name or role not in ROLES or len(token) < 16:
            raise ValueError(
                f"token entry {number} ({name or '?'}): use name:role:token with role in {ROLES} "
                "and a token of 16+ characters"
            )
        entries.append((name, role, token))
    return entries


def tokens_from_env() -> list[tuple[str, str, str]]:
    """Read RETNINGSGRAF_TOKENS and the file named by RETNINGSGRAF_TOKENS_FILE."""
    text = os.environ.get("RETNINGSGRAF_TOKENS", "")
    path = os.environ.get("RETNINGSGRAF_TOKENS_FILE")
    if path:
        text += "\n" + Path(path).read_text(encoding="utf-8")
    return parse_tokens(text)


def require(role: str) -> Callable[[Request], Principal]:
    """Return a dependency that admits a bearer token with at least *role* (401 without one, 403 below it).

    A coroutine (a hash and a table look-up, no I/O): a plain function would cost every
    request a hand-over to the thread pool.
    """

    async def dependency(request: Request) -> Principal:
        table: TokenTable = request.app.state.tokens
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        principal = table.lookup(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if role == "read" and not request.app.state.settings.closed_reads:
            return principal or Principal("anonymous", "read")
        if principal is None:
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        if ROLES.index(principal.role) < ROLES.index(role):
            raise HTTPException(403, f"the token {principal.name!r} has role {principal.role!r}; this needs {role!r}")
        return principal

    return dependency
