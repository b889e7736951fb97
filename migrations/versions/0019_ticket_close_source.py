"""tickets: where the close time came from; invitations: the Idempotency-Key's body

Revision ID: 0019_ticket_close_source
Revises: 0017_key_management
Create Date: 2026-12-05

``tickets.closed_at_source`` says which time counts a ticket as closed:
``closed_at`` (the helpdesk sent it), ``resolved_at`` (no close time was sent,
the resolve time stands in) or ``dispatch`` (neither was sent: the time the
helpdesk called to survey the closed ticket). Existing rows with a close time
came from the helpdesk; existing rows without one get the resolve time where
there is one, so "tickets closed" stops reading 0 for desks that never sent it.

``invitations.idempotency_fingerprint`` is a SHA-256 of the request body sent
with an Idempotency-Key: the same key with another body is a caller's bug (422).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from migrations import helpers

revision: str = "0019_ticket_close_source"
down_revision: str | Sequence[str] | None = "0017_key_management"


def upgrade() -> None:
    helpers.add_columns("tickets", *helpers.strings(closed_at_source=20, nullable=True))
    helpers.add_columns("invitations", *helpers.strings(idempotency_fingerprint=64, nullable=True))
    op.execute("UPDATE tickets SET closed_at_source = 'closed_at' WHERE closed_at IS NOT NULL")
    op.execute(
        "UPDATE tickets SET closed_at = resolved_at, closed_at_source = 'resolved_at' "
        "WHERE closed_at IS NULL AND resolved_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE tickets SET closed_at = NULL WHERE closed_at_source <> 'closed_at'")
    helpers.drop_columns("invitations", "idempotency_fingerprint")
    helpers.drop_columns("tickets", "closed_at_source")
