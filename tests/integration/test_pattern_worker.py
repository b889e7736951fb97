"""A pattern refresh is computed by a real ``celery worker`` process on the real
broker and database: the job goes queued -> done, and the report it points to
names the planted agent and the planted bug."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedback_service.auth.service import create_api_key
from feedback_service.db import get_session
from feedback_service.demo import planted, planted_db
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_refresh_jobs_are_computed_by_the_worker(
    live_app: Flask, worker: subprocess.Popen[str]
) -> None:
    live_app.extensions["celery"].control.purge()  # nothing left by earlier tests
    data = planted.generate(
        3, planted.Plant(pattern_extra_rate=0.05), teams=2, agents_per_team=8, weeks=8
    )
    with live_app.app_context():
        session = get_session()
        world = planted_db.load_planted(session, data)
        _key, plain = create_api_key(session, "patterns", ["reports"])
        session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    client: FlaskClient = live_app.test_client()
    first = world.first_day.isoformat()
    current = (world.first_day + dt.timedelta(weeks=4)).isoformat()
    last = world.last_day.isoformat()

    jobs = {}
    for kind, start in (("complaint-patterns", current), ("product-gaps", first)):
        answer = client.post(
            f"/api/v1/reports/{kind}/refresh", json={"from": start, "to": last}, headers=headers
        )
        assert answer.status_code == 202, answer.json
        assert answer.json["status"] == "queued"  # nothing computed in the request
        jobs[kind] = answer.headers["Location"]

    def finished(url: str) -> dict[str, object] | None:
        job = client.get(url, headers=headers).json
        return job if job["status"] in ("done", "failed") else None

    done = {
        kind: wait_for(lambda url=url: finished(url), timeout=180) for kind, url in jobs.items()
    }
    assert all(job["status"] == "done" for job in done.values()), done

    patterns = client.get(str(done["complaint-patterns"]["report_url"]), headers=headers).json
    assert patterns["run"]["id"] == done["complaint-patterns"]["id"]
    ((agent, category),) = data.truth.patterns
    # Only the planted agent; the planted category among their findings (negative
    # comments or low ratings may name them too).
    assert {i["agent"] for i in patterns["items"]} == {world.agent(agent)}
    assert (world.agent(agent), category) in {
        (i["agent"], i["category"]) for i in patterns["items"]
    }
    gaps = client.get(str(done["product-gaps"]["report_url"]), headers=headers).json
    emerging = [t for t in gaps["items"] if t["emerging"]]
    assert emerging and all(t["products"][0] == "Billing portal" for t in emerging)
