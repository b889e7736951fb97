"""Who or what a sentence is about (target) and what it says about it (category).

The shipped taxonomy is the starting point; a manager may add categories under a
target (e.g. ``product/hardware``). Targets are fixed: reports and patterns are
built around "the agent", "the product" and "the process", so a new target would
need new reports, not just a new label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

TARGETS: Final = ("agent", "product", "process", "none")
SENTIMENTS: Final = ("negative", "neutral", "positive")

_DEFAULT: Final[dict[str, tuple[str, ...]]] = {
    "agent": (
        "rude",
        "unhelpful",
        "slow-response",
        "did-not-resolve",
        "knowledge",
        "communication",
        "praised",
    ),
    "product": (
        "bug",
        "missing-feature",
        "pricing",
        "usability",
        "performance",
        "account-access",
        "quality",
    ),
    "process": ("wait-time", "transfer", "policy", "delivery", "billing-process"),
    "none": ("other", "praise-general"),
}


class TaxonomyError(ValueError):
    """A label that the taxonomy does not know, or an invalid extension."""


def _check_name(name: str) -> str:
    cleaned = name.strip().lower()
    if not cleaned or len(cleaned) > 40 or not all(c.isalnum() or c == "-" for c in cleaned):
        raise TaxonomyError(f"category names are 1-40 letters, digits or '-': {name!r}")
    return cleaned


@dataclass
class Taxonomy:
    """Categories per target. Order is kept so reports list them predictably."""

    categories: dict[str, list[str]] = field(
        default_factory=lambda: {t: list(c) for t, c in _DEFAULT.items()}
    )

    def __post_init__(self) -> None:
        unknown = set(self.categories) - set(TARGETS)
        missing = set(TARGETS) - set(self.categories)
        if unknown or missing:
            raise TaxonomyError(f"targets must be exactly {TARGETS}: got {sorted(self.categories)}")

    @classmethod
    def default(cls) -> Taxonomy:
        return cls()

    def with_defaults(self) -> Taxonomy:
        """A copy that also holds every shipped category (a taxonomy saved before
        a release added one, e.g. ``product/quality``, still trains on the seed data)."""
        merged = Taxonomy.default()
        for target, cats in self.categories.items():
            for category in cats:
                merged.add_category(target, category)
        return merged

    def add_category(self, target: str, category: str) -> str:
        """Add a category under ``target``; adding an existing one is a no-op."""
        if target not in TARGETS:
            raise TaxonomyError(f"unknown target {target!r}; targets are {TARGETS}")
        name = _check_name(category)
        if name not in self.categories[target]:
            self.categories[target].append(name)
        return name

    def labels(self) -> list[str]:
        """Every ``target/category`` label, the unit the category model predicts."""
        return [f"{t}/{c}" for t in TARGETS for c in self.categories[t]]

    def validate_target(self, target: str) -> None:
        if target not in TARGETS:
            raise TaxonomyError(f"unknown target {target!r}; targets are {TARGETS}")

    def validate(self, target: str, category: str) -> None:
        self.validate_target(target)
        if category not in self.categories[target]:
            raise TaxonomyError(f"unknown category {category!r} for target {target!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "targets": list(TARGETS),
            "categories": {t: list(c) for t, c in self.categories.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Taxonomy:
        raw = data.get("categories", data)
        if not isinstance(raw, Mapping):
            raise TaxonomyError("taxonomy must map targets to lists of categories")
        return cls({str(t): [_check_name(str(c)) for c in cats] for t, cats in raw.items()})
