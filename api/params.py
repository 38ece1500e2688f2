"""Query parameters several routers share, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

__all__ = ["CountLevel", "CountPurpose"]

#: The levels that count as coverage (Filters.level): comma-separated, national by default.
CountLevel = Annotated[
    str | None, Query(max_length=100, description="levels that count, comma-separated (default national)")
]
#: The purposes that count as coverage (Filters.purpose): comma-separated, clinical by default.
CountPurpose = Annotated[
    str | None, Query(max_length=100, description="purposes that count, comma-separated (default clinical)")
]
