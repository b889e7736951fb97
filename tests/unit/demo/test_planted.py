"""The planted generator: same seed, same data; what it says it planted is there."""

from __future__ import annotations

import numpy as np

from feedback_service.demo import planted
from feedback_service.demo.issues import ISSUE_INDEX, ISSUES, comment_text


def small(seed: int, plant: planted.Plant | None = None) -> planted.PlantedData:
    return planted.generate(seed, plant, teams=2, agents_per_team=5, responses_per_agent_week=80)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    a, b, c = small(3), small(3), small(4)
    for column in ("agent", "week", "channel", "csat", "issue", "confidence", "phrasing"):
        assert np.array_equal(getattr(a, column), getattr(b, column))
    assert a.truth == b.truth
    assert a.responses != c.responses or not np.array_equal(a.issue, c.issue)


def test_the_planted_agent_gets_the_planted_complaint_in_the_current_period_only() -> None:
    data = small(5, planted.Plant(pattern_category="rude", pattern_extra_rate=0.05))
    ((agent_id, category),) = data.truth.patterns
    assert category == "rude"
    agent = data.agent_ids.index(agent_id)
    rude = data.issue == ISSUE_INDEX["rude"]
    mine = data.agent == agent
    current = data.week >= len(data.weeks) - data.period_weeks
    rate_now = rude[mine & current].mean()
    rate_before = rude[mine & ~current].mean()
    peers_now = rude[~mine & current].mean()
    assert rate_now > 3 * max(rate_before, peers_now)


def test_nothing_planted_names_nobody() -> None:
    truth = small(6, planted.Plant.nothing()).truth
    assert not truth.patterns
    assert truth.emerging_issue is None and truth.confounded_agent is None


def test_a_comment_says_its_issue_in_one_of_its_phrasings() -> None:
    data = small(7)
    rows = np.flatnonzero(data.issue >= 0)[:300].tolist()
    texts = [comment_text(int(data.issue[r]), int(data.phrasing[r])) for r in rows]
    for r, text in zip(rows, texts, strict=True):
        issue = ISSUES[int(data.issue[r])]
        assert any(p.lower() in text.lower() for p in issue.phrasings)
        assert text[0].isupper()
    # Openers, details and tails make almost every comment a string of its own.
    assert len(set(texts)) > 0.8 * len(texts)
