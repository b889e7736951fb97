"""``python -m feedback_service.analysis.build``: ``flask analysis build`` without
starting the app, for bin/setup (about 1 s when the model is already there, where
loading the app alone takes several). Same settings (``load_settings``), same work
(``text.build.build``), same message."""

from __future__ import annotations

import time
from pathlib import Path

from feedback_service.analysis.text.build import BuildReport, build


def build_cache_dir(data_dir: Path | str) -> Path:
    """Where the built seed model is cached, by version hash."""
    return Path(data_dir) / "build"


def run(model_dir: Path | str, data_dir: Path | str) -> str:
    """Build, and say what happened in one line."""
    started = time.perf_counter()
    report = build(model_dir, build_cache_dir(data_dir))
    return describe(report, model_dir, time.perf_counter() - started)


def describe(report: BuildReport, model_dir: Path | str, seconds: float) -> str:
    how = "trained" if report.trained else f"from the cache {report.cache}"
    if report.kept is not None:
        return (
            f"seed model {report.version} ({how}) saved in {model_dir}; the promoted model "
            f"{report.kept}, trained on this deployment's data, stays in use ({seconds:.1f}s)"
        )
    return f"seed model {report.version} ready in {model_dir} ({how}, {seconds:.1f}s)"


def main() -> None:
    import logging

    from feedback_service.config import load_settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = load_settings()
    print(run(settings["MODEL_DIR"], settings["DATA_DIR"]))


if __name__ == "__main__":
    main()
