"""Time each dashboard page as a manager on the database FEEDBACK_DATA_DIR/
DATABASE_URL point at (seed it first with ``flask demo seed``).

    FEEDBACK_DATA_DIR=/tmp/demo .venv/bin/python bench/dashboard_pages.py PASSWORD

Prints the median of five requests per page, after one warm-up request.
"""

from __future__ import annotations

import re
import statistics
import sys
import time

from feedback_service import create_app

PAGES = (
    "/dashboard/",
    "/dashboard/agents",
    "/dashboard/agents/{agent}",
    "/dashboard/product-gaps",
    "/dashboard/comments",
    "/dashboard/comments?category=rude",
    "/dashboard/targets",
    "/dashboard/report",
    "/dashboard/exports/agents.csv",
)


def main(password: str) -> None:
    app = create_app()
    client = app.test_client()
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed = client.post(
        "/dashboard/login",
        data={"email": "manager@demo.test", "password": password, "csrf_token": token},
    )
    assert signed.status_code == 302, "sign-in failed"
    agents = client.get("/dashboard/agents").get_data(as_text=True)
    agent = re.search(r'href="/dashboard/agents/(\d+)', agents).group(1)  # type: ignore[union-attr]
    for path in PAGES:
        url = path.format(agent=agent)
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(url)
            times.append(1000 * (time.perf_counter() - started))
        print(f"{url:45s} {statistics.median(times):8.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1])
