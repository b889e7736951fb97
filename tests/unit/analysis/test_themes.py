"""Product-gap themes: recurring, emerging, Pareto (pure, no database)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache

import pytest

from feedback_service.analysis import planted, stats
from feedback_service.analysis.themes import (
    GapReport,
    ResponseBaseline,
    ThemeComment,
    burst_pvalue,
    find_product_gaps,
)


@cache
def run(seed: int, plant: planted.Plant) -> tuple[planted.PlantedData, GapReport]:
    data = planted.generate(seed, plant)
    baseline = ResponseBaseline(data.responses, planted.response_csat_histogram(data))
    return data, find_product_gaps(planted.theme_comments(data), baseline=baseline)


def issues_by_theme(data: planted.PlantedData, report: GapReport) -> dict[str, Counter[str]]:
    comments = planted.theme_comments(data)
    out: dict[str, Counter[str]] = {}
    for comment, theme_id in zip(comments, report.assignments, strict=True):
        out.setdefault(theme_id, Counter())[planted.issue_of(comment.comment_id, data)] += 1
    return out


PLANTED = planted.Plant(single_agent_theme=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spreading_bug_is_the_only_emerging_gap(seed: int) -> None:
    data, report = run(seed, PLANTED)
    issues = issues_by_theme(data, report)
    emerging = report.emerging
    assert emerging, "the spreading bug was missed"
    for theme in emerging:
        assert issues[theme.theme_id].most_common(1)[0][0] == "invoice-download"
        assert theme.product_gap and theme.agents >= 3
        assert theme.weekly[-1].count > max(w.count for w in theme.weekly[:-3])
        assert theme.burst_q is not None and theme.burst_q < 0.01
    # Nearly all of the bug's comments sit in emerging themes, not in quiet ones.
    bug_total = sum(c["invoice-download"] for c in issues.values())
    in_emerging = sum(issues[t.theme_id]["invoice-download"] for t in emerging)
    assert in_emerging >= 0.9 * bug_total


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_nothing_planted_nothing_emerging(seed: int) -> None:
    _, report = run(seed, planted.Plant.nothing())
    assert report.emerging == ()
    # The everyday product problems still recur across agents: they are gaps.
    assert len(report.product_gaps) >= 5


def test_theme_of_one_agent_is_not_a_product_gap() -> None:
    data, report = run(0, PLANTED)
    issues = issues_by_theme(data, report)
    printer = [
        t for t in report.themes if issues[t.theme_id].most_common(1)[0][0] == "printer-driver"
    ]
    assert printer
    for theme in printer:
        assert theme.agents == 1 and theme.top_agent_share == 1.0
        assert not theme.recurring and not theme.product_gap
        assert theme.products == ("Printer",)


def test_themes_are_pure_readable_and_stable() -> None:
    data, report = run(1, PLANTED)
    issues = issues_by_theme(data, report)
    for theme in report.themes:
        _, count = issues[theme.theme_id].most_common(1)[0]
        assert count >= 0.9 * theme.comments, (theme.theme_id, issues[theme.theme_id])
        assert theme.key_phrases and theme.name
        assert theme.examples and len(theme.examples) <= 3
        assert theme.theme_id.startswith(f"{theme.target}/{theme.category}/")
    again = find_product_gaps(planted.theme_comments(data))
    assert [(t.theme_id, t.comments) for t in again.themes] == [
        (t.theme_id, t.comments) for t in report.themes
    ]


def test_process_themes_recur_but_are_not_product_gaps() -> None:
    _, report = run(0, PLANTED)
    process = [t for t in report.themes if t.target == "process"]
    assert process and any(t.recurring for t in process)
    assert not any(t.product_gap for t in process)


def test_complaint_themes_cost_csat_against_the_rest() -> None:
    _, report = run(2, PLANTED)
    big = [t for t in report.themes if t.csat_answers >= 50]
    assert big
    for theme in big:
        assert theme.csat_effect is not None and theme.csat_effect < -20
        assert theme.contact_share is not None and 0 < theme.contact_share < theme.share


def test_pareto_lists_the_few_themes_behind_most_dissatisfaction() -> None:
    _, report = run(0, PLANTED)
    rows = report.pareto
    assert [r.dissatisfied for r in rows] == sorted((r.dissatisfied for r in rows), reverse=True)
    assert rows[-1].cumulative_share == pytest.approx(1.0)
    vital = [r for r in rows if r.vital_few]
    assert vital == list(rows[: len(vital)])
    assert vital[-1].cumulative_share >= 0.8
    assert len(vital) == 1 or vital[-2].cumulative_share < 0.8


def comment(cid: str, agent: str, week: int, sentence: str, ticket: str = "") -> ThemeComment:
    return ThemeComment(
        comment_id=cid,
        ticket_id=ticket or f"T-{cid}",
        agent_id=agent,
        product="App",
        week=dt.date(2026, 1, 5) + dt.timedelta(weeks=week),
        csat=2,
        target="product",
        category="bug",
        sentence=sentence,
    )


def test_small_inputs_thresholds_and_counting() -> None:
    assert find_product_gaps([]).themes == ()
    # Four tickets across three agents: below min_tickets=5, so not (yet) a gap.
    few = [comment(f"c{i}", f"a{i % 3}", 0, "the export crashes") for i in range(4)]
    (theme,) = find_product_gaps(few).themes
    assert (theme.comments, theme.agents, theme.tickets) == (4, 3, 4)
    assert not theme.product_gap
    # Two sentences of one comment in the same theme count once.
    doubled = [*few, comment("c0", "a0", 0, "the export crashes again", ticket="T-c0")]
    (theme,) = find_product_gaps(doubled).themes
    assert theme.comments == 4
    enough = few + [comment(f"d{i}", f"a{i % 3}", 0, "the export crashes") for i in range(2)]
    assert find_product_gaps(enough).themes[0].product_gap


def test_as_of_ignores_later_weeks() -> None:
    rows = [comment(f"c{w}-{i}", f"a{i}", w, "sync is broken") for w in range(4) for i in range(3)]
    report = find_product_gaps(rows, as_of=dt.date(2026, 1, 19))  # week 2
    assert len(report.weeks) == 3
    assert report.themes[0].comments == 9
    assert report.assignments[-1] == "" and report.assignments[0] == report.themes[0].theme_id


def test_burst_test_allows_for_a_noisy_history() -> None:
    assert burst_pvalue(5, [0] * 7) < 1e-4  # new, and already five comments
    assert burst_pvalue(0, [3] * 7) == 1.0
    assert burst_pvalue(4, [4, 5, 3, 4, 4, 5, 3]) > 0.4  # an ordinary week
    # 11 after seven weeks averaging 2.7: the plug-in Poisson test takes 2.7 as
    # exact and is far more surprised than a test that knows the mean is noisy.
    history = [3, 6, 1, 5, 3, 0, 1]
    assert burst_pvalue(11, history) > 3 * stats.burst_pvalue(11, history)


def test_a_category_whose_sampled_sentences_share_no_term_is_one_theme() -> None:
    """The sentences NMF is fitted on can all be empty after the weighting (every
    word common to all categories); the category is then one theme, not an error."""
    import numpy as np
    import scipy.sparse as sp

    from feedback_service.analysis.themes import _cluster_category

    x = sp.csr_matrix(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.7, 0.7]]))
    weight = np.array([12.0, 8.0, 0.0])  # the non-empty sentence is never sampled
    labels, strength = _cluster_category(
        x,
        weight,
        n_components=4,
        min_size=5,
        merge_similarity=0.25,
        fit_sample=100,
        rng=np.random.default_rng(0),
        random_state=0,
    )
    assert labels.tolist() == [0, 0, 0]
    assert strength.tolist() == pytest.approx([0.0, 0.0, 1.4])
