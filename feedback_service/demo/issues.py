"""What a planted comment can say: the issues, their base rates by channel, and
the text of a comment (an opener, one phrasing, sometimes a detail, a tail).

The phrasings are written for this generator; varied openers and tails keep
two themes from sharing their exact words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing a comment can say, with its base rate per response by channel."""

    key: str
    target: str
    category: str
    product: str
    rates: tuple[float, float, float]  # email, chat, phone
    phrasings: tuple[str, ...]


_A = "agent"
_P = "product"
_R = "process"
_N = "none"

ISSUES: Final[tuple[Issue, ...]] = (
    Issue(
        "rude",
        _A,
        "rude",
        "",
        (0.002, 0.004, 0.012),
        (
            "the agent was rude to me",
            "the rep hung up on me",
            "she was condescending the whole call",
            "he talked to me like I was an idiot",
            "your agent was sarcastic and dismissive",
            "the person in chat was really unprofessional",
        ),
    ),
    Issue(
        "unhelpful",
        _A,
        "unhelpful",
        "",
        (0.008, 0.008, 0.008),
        (
            "the agent did not even try to help",
            "he just read me the FAQ",
            "she kept telling me there was nothing she could do",
            "the rep was useless",
        ),
    ),
    Issue(
        "slow-response",
        _A,
        "slow-response",
        "",
        (0.012, 0.006, 0.002),
        (
            "it took the agent three days to answer my email",
            "he took ages to reply in chat",
            "I waited a week for a response from her",
            "the replies were painfully slow",
        ),
    ),
    Issue(
        "did-not-resolve",
        _A,
        "did-not-resolve",
        "",
        (0.01, 0.01, 0.01),
        (
            "my problem is still not solved",
            "the agent closed the ticket without fixing anything",
            "nothing was resolved",
            "he said it was fixed but it was not",
        ),
    ),
    Issue(
        "knowledge",
        _A,
        "knowledge",
        "",
        (0.005, 0.005, 0.005),
        (
            "the agent did not know the product",
            "she gave me wrong information about my plan",
            "he clearly had no idea how the settings work",
        ),
    ),
    Issue(
        "communication",
        _A,
        "communication",
        "",
        (0.005, 0.005, 0.005),
        (
            "the explanation was confusing",
            "he never told me what would happen next",
            "her instructions made no sense",
        ),
    ),
    Issue(
        "praised",
        _A,
        "praised",
        "",
        (0.035, 0.04, 0.05),
        (
            "the agent was fantastic",
            "she was patient and kind",
            "he went above and beyond to help me",
            "great rep, solved it in minutes",
            "thank you for being so helpful",
        ),
    ),
    Issue(
        "crash-login",
        _P,
        "bug",
        "Mobile app",
        (0.008, 0.008, 0.008),
        (
            "the app crashes when I login",
            "the mobile app crashes right after login",
            "app crashes on the login screen",
            "every login attempt and the app crashes",
        ),
    ),
    Issue(
        "sync",
        _P,
        "bug",
        "Mobile app",
        (0.006, 0.006, 0.006),
        (
            "my notes do not sync between phone and laptop",
            "sync between devices has been broken for days",
            "changes on my phone never sync to the laptop",
            "the sync is broken again, my notes are missing",
        ),
    ),
    Issue(
        "export-csv",
        _P,
        "bug",
        "Web dashboard",
        (0.005, 0.005, 0.005),
        (
            "exporting reports to CSV fails",
            "the CSV export button does nothing",
            "report export to CSV produces an empty file",
        ),
    ),
    Issue(
        "notifications",
        _P,
        "bug",
        "Mobile app",
        (0.004, 0.004, 0.004),
        (
            "push notifications never arrive",
            "I stopped getting push notifications on my phone",
            "reminder notifications do not show up",
        ),
    ),
    Issue(
        "dark-mode",
        _P,
        "missing-feature",
        "Mobile app",
        (0.003, 0.003, 0.003),
        (
            "please add a dark mode",
            "still no dark mode in the app",
            "a dark mode theme would be really nice",
        ),
    ),
    Issue(
        "bulk-edit",
        _P,
        "missing-feature",
        "Web dashboard",
        (0.003, 0.003, 0.003),
        (
            "there is no bulk edit for contacts",
            "I need bulk edit for my contact list",
            "editing hundreds of contacts one by one is absurd, add bulk edit",
        ),
    ),
    Issue(
        "price-increase",
        _P,
        "pricing",
        "Subscription",
        (0.006, 0.006, 0.006),
        (
            "the new subscription price is too expensive",
            "you raised the subscription price again",
            "the subscription price increase is not worth it",
        ),
    ),
    Issue(
        "settings-menu",
        _P,
        "usability",
        "Web dashboard",
        (0.004, 0.004, 0.004),
        (
            "the settings menu is impossible to find",
            "I could not find the privacy settings in the menu",
            "the settings menu layout is confusing",
        ),
    ),
    Issue(
        "slow-dashboard",
        _P,
        "performance",
        "Web dashboard",
        (0.005, 0.005, 0.005),
        (
            "the dashboard takes forever to load",
            "the web dashboard is painfully slow to load",
            "loading the dashboard takes over a minute",
        ),
    ),
    Issue(
        "password-reset",
        _P,
        "account-access",
        "Account",
        (0.005, 0.005, 0.005),
        (
            "the password reset email never arrives",
            "I never received the password reset link",
            "password reset does not send any email",
        ),
    ),
    Issue(
        "hold-time",
        _R,
        "wait-time",
        "",
        (0.004, 0.006, 0.02),
        (
            "I was on hold for forty minutes",
            "the hold queue was over an hour long",
            "waiting on hold that long is unacceptable",
        ),
    ),
    Issue(
        "transfers",
        _R,
        "transfer",
        "",
        (0.001, 0.003, 0.008),
        (
            "I got transferred three times",
            "they transferred me between departments",
            "transferred again to another team",
        ),
    ),
    Issue(
        "refund-policy",
        _R,
        "policy",
        "",
        (0.004, 0.004, 0.004),
        (
            "your refund policy is unfair",
            "a refund policy of fourteen days is ridiculous",
            "the refund policy makes no sense",
        ),
    ),
    Issue(
        "late-delivery",
        _R,
        "delivery",
        "Hardware",
        (0.005, 0.005, 0.005),
        (
            "the delivery of my parcel was two weeks late",
            "the courier delivery never came",
            "delivery took far longer than promised",
        ),
    ),
    Issue(
        "double-charge",
        _R,
        "billing-process",
        "Subscription",
        (0.004, 0.004, 0.004),
        (
            "I was charged twice this month",
            "my card got charged twice for one order",
            "I was charged twice, a duplicate on my statement",
        ),
    ),
    Issue(
        "other",
        _N,
        "other",
        "",
        (0.01, 0.01, 0.01),
        ("I contacted you about my order", "it was about my account", "see my previous ticket"),
    ),
    Issue(
        "praise-general",
        _N,
        "praise-general",
        "",
        (0.015, 0.015, 0.015),
        ("love the product", "great company", "keep up the good work"),
    ),
    # Planted only: never present at a base rate.
    Issue(
        "invoice-download",
        _P,
        "bug",
        "Billing portal",
        (0.0, 0.0, 0.0),
        (
            "downloading an invoice gives an error 500",
            "the invoice PDF download fails with error 500",
            "I cannot download my invoice anymore, error 500",
            "invoice download is broken since the update",
        ),
    ),
    Issue(
        "printer-driver",
        _P,
        "bug",
        "Printer",
        (0.0, 0.0, 0.0),
        (
            "the printer driver will not install on Windows",
            "the printer driver installer fails on my laptop",
            "printer driver setup crashes halfway through the install",
        ),
    ),
)
ISSUE_INDEX: Final = {issue.key: i for i, issue in enumerate(ISSUES)}
_OPENERS: Final = ("", "", "", "Honestly, ", "Once again ", "Ugh, ", "FYI ", "Well, ")
_TAILS: Final = (
    ".",
    ".",
    "!",
    " and it is really annoying.",
    ". Please sort this out.",
    ", third time this month.",
    " and I am losing patience.",
    ", not impressed.",
)
_DETAILS: Final = (
    " (order {n})",
    " on my {word}",
    ", ticket {n}",
    " since {word}",
    " - account {n}",
    " with my {word}",
    " (ref {n})",
    " again on {word}",
)
_WORDS: Final = (
    "iphone",
    "android tablet",
    "work laptop",
    "monday",
    "last week",
    "the weekend",
    "chromebook",
    "pixel phone",
    "office pc",
    "tuesday morning",
    "my partner's account",
    "the family plan",
)
NOBODY: Final = _N


def comment_text(issue_index: int, phrasing: int) -> str:
    """The comment text for a response: an opener, one phrasing of the issue, a tail.

    One comment in two also carries a detail of its own (an order number, a
    device, a day), as real comments do, so that almost every comment is a
    distinct string and the benchmark cannot win by de-duplicating text.
    """
    issue = ISSUES[issue_index]
    core = issue.phrasings[phrasing % len(issue.phrasings)]
    opener = _OPENERS[(phrasing >> 4) % len(_OPENERS)]
    tail = _TAILS[(phrasing >> 8) % len(_TAILS)]
    pick = phrasing >> 12
    detail = ""
    if pick % 2:
        template = _DETAILS[(pick >> 1) % len(_DETAILS)]
        detail = template.format(
            n=(pick >> 4) % 900_000 + 100_000, word=_WORDS[(pick >> 5) % len(_WORDS)]
        )
    text = f"{opener}{core}{detail}{tail}"
    return text[0].upper() + text[1:]
