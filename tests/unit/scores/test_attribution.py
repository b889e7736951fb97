"""The inferred target and the stated x inferred arithmetic of the attribution report."""

from __future__ import annotations

import pytest

from feedback_service.scores.attribution import Finding, inferred_target, tally
from feedback_service.scores.scoring import wilson_interval


def test_the_most_confident_negative_finding_decides_else_the_most_confident() -> None:
    praise_agent = Finding("agent", "positive", 0.9, 0)
    product_bug = Finding("product", "negative", 0.4, 1)
    process_fee = Finding("process", "negative", 0.6, 2)
    assert inferred_target([praise_agent, product_bug, process_fee]) == "process"
    assert inferred_target([praise_agent, Finding("product", "neutral", 0.5, 1)]) == "agent"
    assert inferred_target([]) == "none"
    # A manager's finding (no confidence) outranks the model's; ties go to the first.
    assert inferred_target([process_fee, Finding("agent", "negative", None, 3)]) == "agent"
    tie = [Finding("agent", "negative", 0.5, 0), Finding("product", "negative", 0.5, 1)]
    assert inferred_target(tie) == "agent"


def test_agreement_and_the_product_says_agent_rate() -> None:
    pairs = [("product", "agent")] * 3 + [("product", "product")] * 5 + [("agent", "agent")] * 2
    pairs += [("process", "none")]
    result = tally(pairs, min_n=30)
    assert result.n == 11 and result.too_few
    assert result.table()["product"] == {"agent": 3, "product": 5, "process": 0, "none": 0}
    agreement = result.agreement().view()
    assert (agreement["count"], agreement["n"]) == (7, 11)
    interval = wilson_interval(7, 11)
    assert agreement["interval"] == pytest.approx({"low": interval.low, "high": interval.high})
    says_agent = result.product_says_agent().view()
    assert (says_agent["count"], says_agent["n"], says_agent["share"]) == (3, 8, 3 / 8)
    empty = tally([], min_n=30).product_says_agent().view()
    assert empty["share"] is None and empty["interval"] is None
