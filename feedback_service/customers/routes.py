"""HTTP layer of the customers API (scope ``admin``): export and erase one customer."""

from __future__ import annotations

from typing import Any

from flask import g

from feedback_service.api import api_blueprint, requires_scope
from feedback_service.customers import service
from feedback_service.customers.schemas import CustomerExportOut, ErasureOut
from feedback_service.db import get_session

customers_blp = api_blueprint(
    "customers", __name__, "One customer's data: export everything held about them, or erase it"
)


@customers_blp.route("/customers/<string:customer_id>/export", methods=["GET"])
@requires_scope("admin")
@customers_blp.response(200, CustomerExportOut)
def export_customer(customer_id: str) -> Any:
    """Everything held about the customer with this helpdesk id: the customer,
    their tickets, invitations, answers, comments with their analyses and notes,
    and the alerts about their answers. 404 if unknown or erased."""
    return service.export_customer(get_session(), customer_id)


@customers_blp.route("/customers/<string:customer_id>", methods=["DELETE"])
@requires_scope("admin")
@customers_blp.response(200, ErasureOut)
def erase_customer(customer_id: str) -> Any:
    """Erase the customer: personal data deleted or anonymised everywhere it was
    copied, their ratings kept counted anonymously (see the README, "Privacy").
    Repeating it answers ``already_erased``; 404 for a customer never known."""
    session = get_session()
    caller = g.get("caller")
    result = service.erase_customer(
        session,
        customer_id,
        trigger="api",
        requested_by=caller.name if caller else "api",
    )
    session.commit()
    return result
