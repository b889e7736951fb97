"""The reports' fast path: read what PostgreSQL's triggers keep.

On PostgreSQL, triggers generated from the rollup declarations
(``scores/declare.py``) keep the ticket, invitation and FCR-gap rollups and each
answer's ticket factors in the writing transaction. The reports read those there.
The general path counts the tickets and invitations and joins the answers to
their tickets; it is the only one on SQLite, which has no such triggers. At one
million answers the general path costs several times the fast one on the reports
that read them (``bench/bench_read_paths.py``, figures in
``bench/README-reports.md``), so the fast path stays, here, behind one switch:
``REPORTS_FROM_TRIGGER_ROLLUPS`` (default on; ``false`` in the environment turns it
off). ``tests/integration/test_read_paths.py`` checks both paths give the same
reports on PostgreSQL.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy.orm import Session


def in_use(session: Session) -> bool:
    """Whether the reports read the trigger-kept rollups: PostgreSQL with the switch on."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    if not has_app_context():
        return True
    return bool(current_app.config.get("REPORTS_FROM_TRIGGER_ROLLUPS", True))
