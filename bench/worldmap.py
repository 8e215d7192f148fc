"""What the world map adds to a page, in process (SQLite, anonymous reader).

    .venv/bin/python bench/worldmap.py [--repeat 200]

Builds bench/knowledge.py's data set (10,000 practices in 14 countries, 1-3 countries each,
5% drafts; 200 case studies) in a temporary instance folder, then times, as CPU time of this
process (which, unlike wall time, does not grow with other load on the machine) and as wall
time: the practices count query alone, the map's build and render alone (what a cache miss
costs, once per WORLDMAP_CACHE_SECONDS and process), and the whole list and home pages with
the map (cache warm, as in steady state) and without it (worldmap.render answering nothing and
counting nothing). Prints medians and p95 over --repeat runs, and the load average before and
after.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.knowledge import build  # noqa: E402


def _timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """(cpu ms, wall ms) of each of `repeat` calls, after 5 warm-up calls."""
    for _ in range(5):
        fn()
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return cpu, wall


def _line(name: str, cpu: list[float], wall: list[float]) -> str:
    p95 = lambda v: sorted(v)[max(0, int(len(v) * 0.95) - 1)]  # noqa: E731
    return (f"{name:44} cpu median {statistics.median(cpu):6.3f} ms  p95 {p95(cpu):6.3f}  "
            f"wall median {statistics.median(wall):6.3f} ms  p95 {p95(wall):6.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-worldmap-"))
    try:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        os.environ.update(MARKETPLACE_INSTANCE_PATH=str(tmp), MARKETPLACE_SEARCH_DRAIN="manual")
        print("building the data set …", flush=True)
        build(url)
        from flask import render_template_string
        from markupsafe import Markup

        from marketplace import create_app, worldmap
        from marketplace.cases import services as cases
        from marketplace.knowledge import queries

        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40})
        client = app.test_client()
        print(f"load average before: {os.getloadavg()}", flush=True)
        lines = []
        with app.test_request_context("/practices/"):
            worldmap.atlas()  # once per process
            for name, count in (("count query: practices (10,000)", queries.country_counts),
                                ("count query: case studies (200)", cases.country_counts)):
                lines.append(_line(name, *_timed(count, args.repeat)))
            counts = queries.country_counts()
            macro = ('{% import "_macros/worldmap.html" as w %}'
                     '{{ w.world_map(m) }}')
            lines.append(_line("build + render the map (14 countries)", *_timed(
                lambda: render_template_string(macro, m=worldmap.build("practice", counts)),
                args.repeat)))
        real_render, real_counts = worldmap.render, worldmap.counts
        for path in ("/practices/", "/practices/?country=KE&page=3", "/cases/", "/"):
            for label in ("with map", "without"):
                if label == "without":
                    worldmap.render = lambda *a, **k: Markup("")
                    worldmap.counts = lambda *a, **k: {}
                lines.append(_line(f"{path} {label}", *_timed(
                    lambda p=path: client.get(p).close(), args.repeat)))
                worldmap.render, worldmap.counts = real_render, real_counts
        print("\n".join(lines))
        print(f"load average after: {os.getloadavg()}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
