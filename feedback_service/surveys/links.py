"""The URLs a customer is sent to, built on PUBLIC_BASE_URL."""

from __future__ import annotations

from typing import Protocol

from flask import current_app


class Tokened(Protocol):
    """An invitation, loaded or just inserted: all a link needs is its token."""

    @property
    def token(self) -> str: ...


class Dispatched(Tokened, Protocol):
    """An invitation as its creator sees it: the links depend on its status."""

    @property
    def status(self) -> str: ...


def base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def survey_url(invitation: Tokened) -> str:
    return f"{base_url()}/s/{invitation.token}"


def unsubscribe_url(invitation: Tokened) -> str:
    return f"{base_url()}/u/{invitation.token}"


def embed_snippets(invitation: Tokened) -> dict[str, str]:
    base = base_url()
    return {
        "iframe": (
            f'<iframe src="{base}/s/{invitation.token}?embed=1" title="Feedback survey" '
            'style="width:100%;max-width:480px;height:560px;border:0" loading="lazy"></iframe>'
        ),
        "script": (
            f'<div data-feedback-token="{invitation.token}"></div>'
            f'<script src="{base}/widget.js" async></script>'
        ),
    }


# A suppressed invitation is never shown to the customer (its page answers 410 Gone):
# the creating call gets no link or snippet to show, so a helpdesk cannot show one.


def offered_survey_url(invitation: Dispatched) -> str | None:
    return None if invitation.status == "suppressed" else survey_url(invitation)


def offered_embed(invitation: Dispatched) -> dict[str, str] | None:
    return None if invitation.status == "suppressed" else embed_snippets(invitation)
