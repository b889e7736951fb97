"""The audit trail of erasures: when, by whom, how much; never who.

``subject_hash`` is an HMAC-SHA256 of the customer's helpdesk id under the
service's ``SECRET_KEY``: it lets a repeated erase request be answered "already
erased" without keeping the id, and cannot be turned back into the id without the
key. Retention runs, which erase old comments of many customers, have none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from feedback_service.db import Base, UTCDateTime, utcnow


class CustomerErasure(Base):
    __tablename__ = "customer_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # "api", "cli" or "retention"
    trigger: Mapped[str] = mapped_column(String(20))
    # The API key's or the operator's name; "schedule" for retention.
    requested_by: Mapped[str] = mapped_column(String(200))
    # How many rows and files of each kind were erased or anonymised.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    erased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
