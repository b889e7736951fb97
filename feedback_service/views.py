"""A row shown as a dict: the attributes a view copies as they are, by name."""

from __future__ import annotations

from typing import Any


def fields(row: object, *names: str) -> dict[str, Any]:
    """``row``'s attributes under their own names, in order; each argument holds one
    or more names separated by spaces: ``fields(run, "id status", "created_at")``."""
    return {name: getattr(row, name) for group in names for name in group.split()}
