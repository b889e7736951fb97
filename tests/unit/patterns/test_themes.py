"""Product-gap themes: recurring, emerging, Pareto (pure, no database)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache

import pytest

from feedback_service.analysis.complaints import is_theme_sentence
from feedback_service.demo import planted
from feedback_service.patterns.gaps import GapReport, burst_pvalue, find_product_gaps
from feedback_service.patterns.themes import ResponseBaseline, ThemeComment
from feedback_service.scores import stats


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

    from feedback_service.patterns.themes import _cluster_category

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


def sentence_of(
    cid: str,
    agent: str,
    sentence: str,
    *,
    product: str = "App",
    category: str = "bug",
    target: str = "product",
    week: int = 0,
) -> ThemeComment:
    return ThemeComment(
        comment_id=cid,
        ticket_id=f"T-{cid}",
        agent_id=agent,
        product=product,
        week=dt.date(2026, 1, 5) + dt.timedelta(weeks=week),
        csat=2,
        target=target,
        category=category,
        sentence=sentence,
    )


EXPORT = (
    "Export to PDF crashes the app.",
    "The export to PDF crashes every time.",
    "Honestly, export to PDF crashes again, third time this month.",
    "PDF export crashes on my phone.",
)
LOGIN = (
    "I cannot log in since the update.",
    "Log in fails since the update.",
    "The log in page hangs since the update, not impressed.",
)


def test_the_same_problem_under_two_products_is_one_theme_listing_both() -> None:
    rows = [
        sentence_of(f"m{i}", f"a{i % 4}", EXPORT[i % 4], product="Mobile app") for i in range(12)
    ] + [sentence_of(f"w{i}", f"a{i % 4}", EXPORT[i % 4], product="Web app") for i in range(7)]
    rows += [sentence_of(f"l{i}", f"a{i % 4}", LOGIN[i % 3], product="Web app") for i in range(9)]
    report = find_product_gaps(rows)
    export = [t for t in report.themes if "export" in t.name.lower()]
    assert len(export) == 1, [t.name for t in report.themes]
    (theme,) = export
    assert theme.products == ("Mobile app", "Web app") and theme.product_counts == (12, 7)
    assert theme.comments == 19 and theme.product_gap
    assert theme.name.lower() == "export to pdf crashes"
    assert theme.theme_id == "product/bug/export-to-pdf-crashes"
    login = [t for t in report.themes if t is not theme]
    assert [t.name for t in login] == ["log in since the update"]


def test_names_are_unique_phrases_not_word_lists() -> None:
    # Two categories whose comments say the same words: the names still differ.
    slow = ("It took too long to load.", "Everything took too long.", "It took too long again.")
    rows = [
        sentence_of(f"p{i}", f"a{i % 4}", slow[i % 3], category="performance") for i in range(10)
    ] + [
        sentence_of(f"w{i}", f"a{i % 4}", slow[i % 3], target="process", category="wait-time")
        for i in range(8)
    ]
    rows += [sentence_of(f"e{i}", f"a{i % 4}", EXPORT[i % 4]) for i in range(8)]
    report = find_product_gaps(rows)
    names = [t.name for t in report.themes]
    assert len(set(map(str.lower, names))) == len(names) == 3, names
    assert len({t.theme_id for t in report.themes}) == 3
    for name in names:
        assert "," not in name and 2 <= len(name.split()) <= 8, name
    # The larger theme keeps the phrase; the other takes its next best one.
    assert names[0] == "took too long"
    assert names[1].startswith("took too long") and names[1] != names[0]


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_themes_are_named_by_a_phrase_of_their_own(seed: int) -> None:
    _, report = run(seed, PLANTED)
    names = [t.name for t in report.themes]
    assert len(set(map(str.lower, names))) == len(names)
    boilerplate = ("really annoying", "third time", "losing patience", "not impressed")
    for theme in report.themes:
        assert "," not in theme.name and 1 <= len(theme.name.split()) <= 8, theme.name
        assert not any(b in theme.name.lower() for b in boilerplate), theme.name
        # The name's words come from the theme's own sentences.
        words = {w.lower() for e in theme.examples for w in e.sentence.replace(",", " ").split()}
        assert any(w.lower() in words for w in theme.name.split()), (theme.name, theme.examples)
    bug = [t for t in report.emerging]
    assert any({"invoice", "500", "download"} & set(t.name.lower().split()) for t in bug), [
        t.name for t in bug
    ]


def test_german_and_spanish_themes_are_named_without_function_words() -> None:
    german = (
        "Die Rechnung lässt sich nicht herunterladen.",
        "Ich kann die Rechnung nicht herunterladen.",
        "Die Rechnung lässt sich seit dem Update nicht herunterladen.",
    )
    spanish = (
        "La aplicación se cierra al exportar el informe.",
        "La aplicación se cierra cuando exporto el informe.",
        "Otra vez la aplicación se cierra al exportar.",
    )
    rows = [sentence_of(f"d{i}", f"a{i % 4}", german[i % 3], product="Portal") for i in range(9)]
    rows += [sentence_of(f"s{i}", f"a{i % 4}", spanish[i % 3], product="App") for i in range(9)]
    report = find_product_gaps(rows)
    names = {t.products[0]: t.name for t in report.themes}
    stop = {"die", "der", "das", "ich", "nicht", "sich", "la", "el", "se", "al", "de"}
    for name in names.values():
        words = name.lower().split()
        assert words[0] not in stop and words[-1] not in stop, name
    assert "rechnung" in names["Portal"].lower()
    assert "aplicación se cierra" in names["App"].lower()
    assert all(t.theme_id.isascii() for t in report.themes)


@pytest.mark.parametrize(
    ("target", "sentiment", "troubled", "kept"),
    [
        ("product", "negative", False, True),
        ("process", "negative", False, True),
        ("product", "mixed", False, True),
        ("product", "neutral", False, False),  # "I use the export every day."
        ("process", "positive", False, False),  # "Quinn took the time to understand..."
        ("process", "neutral", True, False),
        ("agent", "negative", True, False),  # the agent's, not the product's
        ("none", "negative", True, True),  # escalated: an unresolved problem
        ("none", "negative", False, False),
        ("none", "neutral", True, False),  # "I called on Tuesday."
        (None, "negative", True, False),
    ],
)
def test_only_complaints_enter_a_complaint_theme(
    target: str | None, sentiment: str, troubled: bool, kept: bool
) -> None:
    assert is_theme_sentence(target, sentiment, troubled=troubled) is kept
