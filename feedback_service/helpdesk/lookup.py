"""Report and listing filters name teams and agents by their helpdesk ids; this
turns them into ours, collecting what is wrong as per-field errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session


class FilterLookup:
    """``errors`` holds, per argument, why it was refused: a date range whose
    ``from`` is after its ``to``, or an id nobody knows."""

    def __init__(self, session: Session, args: dict[str, Any]) -> None:
        self.session = session
        self.args = args
        self.errors: dict[str, list[str]] = {}
        start, end = args.get("from"), args.get("to")
        if start is not None and end is not None and start > end:
            self.errors["from"] = [f"'from' ({start}) is after 'to' ({end})."]

    def id_of(self, name: str, column: Any, id_column: Any) -> int | None:
        """Our id of the row whose ``column`` is the argument ``name``; None if the
        argument is absent, or unknown (then an error)."""
        value = self.args.get(name)
        if value is None:
            return None
        found: int | None = self.session.scalar(select(id_column).where(column == value))
        if found is None:
            self.errors[name] = [f"Unknown {name} '{value}'."]
        return found
