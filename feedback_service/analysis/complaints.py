"""Which analysed sentences are complaints that belong in a product theme.

One rule, used by the theme finder (``patterns.themes``), the pattern loaders and the
dashboard's product-theme reads (``scores.comments``).
"""

from __future__ import annotations

from typing import Final

THEME_TARGETS: Final = ("product", "process")
COMPLAINT_SENTIMENTS: Final = ("negative", "mixed")


def is_theme_sentence(target: str | None, sentiment: str | None, *, troubled: bool) -> bool:
    """Whether a sentence finding belongs in a complaint theme.

    Only complaints do: a negative sentence about the product or a process, or,
    on an escalated or reopened ticket, a negative one that names no target
    (those tickets are where unresolved product problems show up). ``mixed``
    counts as a complaint: the segmenter already cuts at "but", so only a
    manager's correction or an older analysis calls one sentence mixed, and it
    then holds a complaint. Neutral and positive sentences never enter a theme:
    "Quinn took the time to understand my problem" or "I called on Tuesday" is
    no problem to fix.
    """
    if sentiment not in COMPLAINT_SENTIMENTS:
        return False
    return target in THEME_TARGETS or (troubled and target == "none")
