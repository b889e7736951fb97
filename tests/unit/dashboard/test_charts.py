"""The SVG charts, read back with an XML parser the way a browser would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from feedback_service.dashboard.charts import TrendPoint, line_chart, pareto_chart, sparkline

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output, parsed to test it)


def trend(values: list[float | None], flagged: int | None = None) -> list[TrendPoint]:
    return [
        TrendPoint(
            label=f"W{i}",
            value=v,
            low=None if v is None else v - 5,
            high=None if v is None else v + 5,
            limit_low=70.0 if i >= 3 else None,
            limit_high=95.0 if i >= 3 else None,
            out_of_control=i == flagged,
            n=40,
        )
        for i, v in enumerate(values)
    ]


def test_line_chart_draws_one_marker_per_period_with_answers() -> None:
    root = parse(line_chart(trend([80, 82, None, 85, 60], flagged=4), title="CSAT"))
    points = [e for e in root.iter() if "point" in (e.get("class") or "").split()]
    assert len(points) == 4  # the empty week is a gap, not a zero
    flagged = [e for e in points if "out-of-control" in (e.get("class") or "")]
    assert [e.get("data-label") for e in flagged] == ["W4"]
    assert "out of control" in flagged[0].find(f"{SVG}title").text  # type: ignore[union-attr, operator]


def test_line_chart_has_band_target_and_control_limits() -> None:
    root = parse(line_chart(trend([80, 82, 84, 85, 60]), title="CSAT", target=85))
    assert root.findall(f".//{SVG}polygon[@class='band']")
    target = root.find(f".//{SVG}line[@class='target']")
    assert target is not None
    assert any("target 85%" in (t.text or "") for t in root.iter(f"{SVG}text"))
    assert root.find(f".//{SVG}g[@class='control-limit']") is not None
    # The line is broken where a week had no answers: two "M" moves for one gap.
    gap = parse(line_chart(trend([80, None, 84]), title="CSAT"))
    path = gap.find(f".//{SVG}path[@class='line']")
    assert path is not None and path.get("d", "").count("M") == 2


def test_charts_are_labelled_for_screen_readers() -> None:
    root = parse(line_chart(trend([80, 90]), title="CSAT by week", desc="Up ten points"))
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    assert root.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
    assert root.find(f"{SVG}title").text == "CSAT by week"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Up ten points"  # type: ignore[union-attr]


def test_labels_are_escaped() -> None:
    evil = '<script>alert("x")</script> & "quotes"'
    svg = pareto_chart([(evil, 5), ("ok", 3)], title=f"Themes {evil}")
    assert "<script>" not in svg
    root = parse(svg)  # would raise if anything broke out of its element
    labels = [e.get("data-label") for e in root.iter(f"{SVG}rect")]
    assert evil in labels  # the parser gives back exactly what was given
    assert root.find(f"{SVG}title").text == f"Themes {evil}"  # type: ignore[union-attr]
    svg2 = line_chart([TrendPoint(label=evil, value=50)], title=evil)
    assert "<script>" not in svg2
    assert parse(svg2).find(f".//{SVG}circle").get("data-label") == evil  # type: ignore[union-attr]


def test_pareto_sorts_largest_first_and_cumulates_to_100() -> None:
    root = parse(pareto_chart([("slow", 10), ("rude", 30), ("billing", 60)], title="Themes"))
    bars = [e.get("data-label") for e in root.iter(f"{SVG}rect")]
    assert bars == ["billing", "rude", "slow"]
    shares = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "cum-label"]
    assert shares == ["60%", "90%", "100%"]
    widths = [float(e.get("width", 0)) for e in root.iter(f"{SVG}rect")]
    assert widths == sorted(widths, reverse=True)


def test_sparkline_marks_the_last_value_and_survives_flat_or_empty_data() -> None:
    root = parse(sparkline([1, 2, 3, None, 5], title="Volume"))
    assert root.find(f".//{SVG}circle") is not None
    assert "5" in (root.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    parse(sparkline([4, 4, 4], title="flat"))
    empty = parse(sparkline([], title="none"))
    assert empty.find(f".//{SVG}path") is None


def test_line_chart_rejects_an_empty_scale() -> None:
    with pytest.raises(ValueError):
        line_chart([], title="x", y_min=1, y_max=1)


def test_sparse_weeks_are_drawn_as_uncertain_never_as_a_silent_gap() -> None:
    """Issue 19: an agent with two answers in one week had an empty chart."""
    points = [
        TrendPoint(label="W0", value=None, n=0),
        TrendPoint(label="W1", value=50.0, low=9.5, high=90.5, n=2, low_sample=True),
        TrendPoint(label="W2", value=None, n=0, note="week so far"),
    ]
    root = parse(line_chart(points, title="CSAT"))
    [point] = [e for e in root.iter() if "point" in (e.get("class") or "").split()]
    assert "low-sample" in (point.get("class") or "")
    assert point.get("fill") == "#fff"  # hollow: not only a colour difference
    tip = point.find(f"{SVG}title").text or ""  # type: ignore[union-attr]
    assert "n=2" in tip and "few answers" in tip and "no control limits yet" in tip
    # One week with an interval between two without: its band is a visible bar.
    [band] = root.findall(f".//{SVG}rect[@class='band band-single']")
    assert float(band.get("height") or 0) > 50
    # The weeks without answers are marked and say so.
    empty = root.findall(f".//{SVG}g[@class='no-answers']")
    assert [e.get("data-label") for e in empty] == ["W0", "W2"]
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "1 with few answers" in desc and "2 without answers" in desc
    assert "1 without control limits" in desc


def test_pareto_draws_the_largest_and_gives_their_share_of_every_complaint() -> None:
    bars = [(f"theme {i}", 20 - i) for i in range(15)]  # 15 themes, 195 complaints
    root = parse(pareto_chart(bars, title="Themes", shown=10))
    drawn = [e.get("data-label") for e in root.iter(f"{SVG}rect")]
    assert drawn == [f"theme {i}" for i in range(10)]
    shares = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "cum-label"]
    # The ten largest carry 155 of 195: the line stops at 79%, not at 100%.
    assert shares[0] == f"{100 * 20 / 195:.0f}%" and shares[-1] == f"{100 * 155 / 195:.0f}%"
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "10 largest of 15 categories, 195 in all" in desc
