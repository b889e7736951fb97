"""How managers' labels are laid over the model's findings (pure)."""

from __future__ import annotations

from feedback_service.analysis.comments.corrections import Label, apply_labels, model_findings

TEXT = "The agent was rude. The app crashes. I called on Tuesday."
MODEL = [
    {
        "target": "agent",
        "category": "rude",
        "confidence": 0.9,
        "sentence": "The agent was rude.",
        "sentiment": "negative",
    },
    {
        "target": "product",
        "category": "bug",
        "confidence": 0.8,
        "sentence": "The app crashes.",
        "sentiment": "negative",
    },
]


def test_no_labels_leave_the_model_output_uncorrected() -> None:
    shown = apply_labels(MODEL, "negative", [], TEXT)
    assert shown.sentiment == "negative" and shown.corrected is False
    assert [f["corrected"] for f in shown.findings] == [False, False]
    assert model_findings(shown.findings) == MODEL


def test_later_labels_win_fields_they_carry_and_the_original_is_kept() -> None:
    labels = [
        Label("The agent was rude.", category="unhelpful", target="agent"),
        Label("The agent was rude.", sentiment="neutral"),
        Label(None, sentiment="mixed"),
        Label("The app crashes.", target="process", category="policy"),
        Label("The app crashes.", target="product"),  # back to product: category cleared
    ]
    shown = apply_labels(MODEL, "negative", labels, TEXT)
    assert shown.sentiment == "mixed" and shown.corrected is True
    agent, product = shown.findings
    assert (agent["category"], agent["sentiment"], agent["corrected"]) == (
        "unhelpful",
        "neutral",
        True,
    )
    assert agent["original"] == {
        "target": "agent",
        "category": "rude",
        "confidence": 0.9,
        "sentiment": "negative",
    }
    assert (product["target"], product["category"]) == ("product", None)
    # The model's output can always be recovered from what is stored.
    assert model_findings(shown.findings) == MODEL


def test_a_label_on_another_sentence_adds_a_finding_in_text_order() -> None:
    labels = [
        Label("I called on Tuesday.", target="process", category="wait-time"),
        Label("Not a finding any more.", sentiment="positive"),  # no target: nothing shown
    ]
    shown = apply_labels(MODEL, "negative", labels, TEXT)
    assert [f["sentence"] for f in shown.findings] == [
        "The agent was rude.",
        "The app crashes.",
        "I called on Tuesday.",
    ]
    added = shown.findings[2]
    assert added["corrected"] is True and added["original"] is None
    assert added["confidence"] is None
    assert model_findings(shown.findings) == MODEL


def test_a_sentiment_for_an_unsupported_comment_is_shown() -> None:
    shown = apply_labels([], None, [Label(None, sentiment="negative")], "Das war schlecht.")
    assert shown.sentiment == "negative" and shown.corrected is True
