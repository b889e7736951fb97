"""A survey's questions: the built-in metrics and a team's own (rating, choice,
multi, text), what each accepts, and when a follow-up is shown.

Pure: plain dicts in (a survey's stored ``questions``), plain values out; no Flask,
no SQLAlchemy. A built-in metric is stored as ``{"metric": "csat", "wording": {..}}``
and its answer lives on the response's own column; a team's question as

    {"key": "reason", "type": "choice", "wording": {"en": "..."},
     "required": false, "show_if": {"question": "csat", "max": 2},
     "options": [{"value": "agent", "label": {"en": "The agent"}}, ...]}

(``rating`` has ``scale`` and ``labels`` per locale instead of options), and its
answer is a row of ``response_answers`` stored with the definition version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedback_service.surveys.metrics import DEFAULT_LOCALE, METRICS, base_locale

TYPES = ("rating", "choice", "multi", "text")
# Names a team's question may not take: the built-in answers'.
RESERVED_KEYS = frozenset(METRICS) | {"comment"}
MAX_QUESTIONS = 10
MAX_TEXT_LENGTH = 500
RATING_SCALES = range(3, 11)
# A choice question with ``"maps_to": "target"`` states who the customer blames: an
# option whose value is one of these names that target; any other gives no label.
MAPS_TO = ("target",)
STATED_TARGETS = ("agent", "product", "process")


def key_of(question: Mapping[str, Any]) -> str:
    return str(question.get("metric") or question["key"])


def type_of(question: Mapping[str, Any]) -> str:
    """``metric`` for a built-in one, else the question's own type."""
    return "metric" if "metric" in question else str(question["type"])


def is_custom(question: Mapping[str, Any]) -> bool:
    return "metric" not in question


def custom(questions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [q for q in questions if is_custom(q)]


def option_values(question: Mapping[str, Any]) -> list[str]:
    return [str(o["value"]) for o in question.get("options") or []]


def target_question(questions: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The survey's choice question mapped to the target, if it has one."""
    return next((q for q in custom(questions) if q.get("maps_to") == "target"), None)


def stated_target(value: Any) -> str | None:
    """The target an answer to a question mapped to it states, or None ("other")."""
    return value if isinstance(value, str) and value in STATED_TARGETS else None


def scale(question: Mapping[str, Any]) -> tuple[int, int]:
    """The lowest and highest point of a numeric question (a metric or a rating)."""
    if is_custom(question):
        return 1, int(question["scale"])
    spec = METRICS[question["metric"]]
    return spec.low, spec.high


def localized(texts: Mapping[str, Any] | None, locale: str, default: Any = "") -> Any:
    """The text for ``locale``, else English, else ``default``."""
    texts = texts or {}
    return texts.get(base_locale(locale)) or texts.get(DEFAULT_LOCALE) or default


def option_label(question: Mapping[str, Any], value: str, locale: str) -> str:
    for option in question.get("options") or []:
        if option["value"] == value:
            return str(localized(option.get("label"), locale, value))
    return value


# --- answers ----------------------------------------------------------------------


class BadAnswer(ValueError):
    """The value is not one ``question`` takes; the message says what it takes."""


def parse(question: Mapping[str, Any], value: Any) -> Any:
    """A plain value (JSON) -> the value stored, or ``BadAnswer``.

    Metrics are integers on their scale (FCR a JSON boolean, stored 1/0); a rating
    an integer 1..scale; a choice one of its option values; a multi a list of
    distinct option values; a text a non-empty string of at most 500 characters.
    """
    kind = type_of(question)
    if kind == "metric" and question["metric"] == "fcr":
        if isinstance(value, bool):
            return int(value)
        raise BadAnswer("must be true or false")
    if kind in ("metric", "rating"):
        low, high = scale(question)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        raise BadAnswer(f"must be an integer from {low} to {high}")
    allowed = option_values(question)
    if kind == "choice":
        if isinstance(value, str) and value in allowed:
            return value
        raise BadAnswer(f"not one of {', '.join(allowed)}")
    if kind == "multi":
        chosen = [value] if isinstance(value, str) else value
        if (
            isinstance(chosen, list)
            and chosen
            and all(isinstance(v, str) and v in allowed for v in chosen)
        ):
            return [v for v in allowed if v in chosen]
        raise BadAnswer(f"must be a non-empty list of {', '.join(allowed)}")
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if len(text) > MAX_TEXT_LENGTH:
            raise BadAnswer(f"at most {MAX_TEXT_LENGTH} characters")
        return text
    raise BadAnswer("must be some text")


def shows(condition: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether a question with ``show_if`` ``condition`` is shown, given the answers
    to the questions before it (an unanswered one shows no follow-up)."""
    if not condition:
        return True
    given = answers.get(condition["question"])
    if given is None:
        return False
    if "in" in condition:
        chosen = given if isinstance(given, list) else [given]
        return any(v in condition["in"] for v in chosen)
    if "min" in condition and given < condition["min"]:
        return False
    return not ("max" in condition and given > condition["max"])


def describe(condition: Mapping[str, Any]) -> str:
    """``show_if`` in words, for error messages."""
    name = condition["question"]
    if "in" in condition:
        return f"{name} is one of {', '.join(map(str, condition['in']))}"
    parts = []
    if "min" in condition:
        parts.append(f"at least {condition['min']}")
    if "max" in condition:
        parts.append(f"at most {condition['max']}")
    return f"{name} is {' and '.join(parts)}"


@dataclass
class Checked:
    """What a submission leaves: the parsed values it gave (``given``), the stored
    answers that no longer apply (their question is not shown any more), the
    questions now shown, and the errors by field (``answers.<key>``)."""

    given: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


def check(
    questions: Sequence[Mapping[str, Any]],
    given: Mapping[str, Any],
    stored: Mapping[str, Any],
    *,
    enforce_required: Callable[[str], bool],
) -> Checked:
    """Check ``given`` against the questions, on top of the ``stored`` answers.

    Questions are walked in order: one whose ``show_if`` is false (on the answers
    before it) must not be answered now (an error) and loses a stored answer; a
    shown ``required`` one must have an answer when ``enforce_required(key)``.
    """
    by_key = {key_of(q): q for q in questions}
    out = Checked()
    for key, value in given.items():
        question = by_key.get(key)
        if question is None:
            out.errors[f"answers.{key}"] = [
                f"This survey does not ask '{key}'; it asks {', '.join(by_key)}."
            ]
            continue
        try:
            out.given[key] = parse(question, value)
        except BadAnswer as exc:
            # A metric's message names it, as it always has ("csat must be ...").
            named = f"{key} {exc}." if type_of(question) == "metric" else str(exc)
            out.errors[f"answers.{key}"] = [named]
    merged = {**stored, **out.given}
    effective: dict[str, Any] = {}
    for question in questions:
        key = key_of(question)
        condition = question.get("show_if")
        if not shows(condition, effective):
            if key in out.given:
                out.errors[f"answers.{key}"] = [f"asked only when {describe(condition or {})}"]
            elif stored.get(key) is not None:
                out.dropped.append(key)
            continue
        out.shown.append(key)
        if merged.get(key) is not None:
            effective[key] = merged[key]
        elif question.get("required") and enforce_required(key):
            out.errors.setdefault(f"answers.{key}", ["required"])
    return out
