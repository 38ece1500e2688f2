"""Pages of list answers: the ``limit`` and ``offset`` parameters and the link to the next page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from fastapi import Query, Request

__all__ = ["Offset", "limit_param", "next_link", "page"]

T = TypeVar("T")

Offset = Annotated[int, Query(ge=0, le=10_000_000, description="how many items to skip (see `next`)")]


def limit_param(default: int, maximum: int) -> object:
    """A ``limit`` query parameter: *default* items per page, at most *maximum*."""
    return Query(ge=1, le=maximum, description=f"items per page (default {default}, at most {maximum})")


def next_link(request: Request, offset: int, limit: int, total: int, prefix: str = "") -> str | None:
    """The path and query of the page after ``offset + limit``, or ``None`` on the last page.

    Relative (no scheme or host), so it stays right behind a proxy; every other parameter of
    the request is kept. *prefix* names the parameters of a second list in one answer
    (``cluster_offset``, ``cluster_limit``).
    """
    if offset + limit >= total:
        return None
    url = request.url.include_query_params(**{f"{prefix}offset": offset + limit, f"{prefix}limit": limit})
    return f"{url.path}?{url.query}"


def page(items: Sequence[T], offset: int, limit: int) -> list[T]:
    """The items of one page."""
    return list(items[offset : offset + limit])
