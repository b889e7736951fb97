"""The floor: the least a durable request costs here, one INSERT and a commit in
PostgreSQL behind Flask and gunicorn. Other endpoints are measured against it."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ.get("DATABASE_URL", "sqlite://"), pool_size=4)


@app.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@app.post("/floor")
def floor() -> Any:
    body = request.get_json()
    with engine.begin() as conn:
        row_id = conn.execute(
            text("INSERT INTO bench_floor (body) VALUES (:body) RETURNING id"),
            {"body": str(body)},
        ).scalar_one()
    return jsonify(id=row_id), 201


def create_table(database_url: str) -> None:
    with create_engine(database_url).begin() as conn:
        conn.execute(
            text("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body text)")
        )
