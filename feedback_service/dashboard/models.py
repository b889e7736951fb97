"""What the dashboard itself stores: an agent's context on a comment about them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from feedback_service.db import Base, UTCDateTime, utcnow


class CommentNote(Base):
    """Context an agent adds to a comment about them ("the customer had been
    refunded already"), read by their team lead and the managers.

    Only the agent the response is about writes notes on it; a note is kept with
    its author so a lead can tell who said what after an agent changes teams.
    """

    __tablename__ = "comment_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
