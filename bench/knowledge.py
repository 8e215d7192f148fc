"""Practice pages under gunicorn (2 sync workers) on SQLite, against a bare Flask page.

    .venv/bin/python bench/knowledge.py [--seconds 8] [--clients 4] [--attachments 5] [--write-docs]

Builds a deterministic data set in a temporary instance folder: 10,000 practices (5% drafts)
with countries, themes, tags and organizations; 400 of them have 20 revisions and 25
endorsements, 100 have 6 adaptations each; 200 case studies reporting one metric for the
benchmark page. It serves the app with `gunicorn -w 2` and measures, in the same run, the
practice page, the list page (several filters, sorts and pages), the benchmark page and a bare
Flask page rendering 20 rows of the same SQLite database: server time (median and p95, from a
WSGI wrapper that times each request from arrival until the response is ready), requests/s
from concurrent clients, and queries per page (counted in-process with the test client).
The WSGI timer, gunicorn launcher and load loop are shared with bench/forums.py.
`--attachments N` (issue 16) also gives the first 400 published practices N attached files each
(PDFs whose text was extracted, one image with a thumbnail) and measures their pages as
"practice page (N files)" against the same target as the practice page.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.forums import HEADER, ServerTimer, serve  # noqa: E402

CPU_HEADER = "X-Bench-Cpu-Ms"

PRACTICES, USERS, ORGS = 10_000, 300, 30
RICH, PARENTS, CHILDREN = 400, 100, 6
CASES, METRIC = 200, "response-time-days"
COUNTRIES = ["KE", "BR", "SN", "FR", "IN", "CO", "UA", "NG", "JP", "ES", "DK", "GB", "MX", "PH"]
THEMES = ["governance", "anti-corruption", "public-finance", "health", "education",
          "participation", "local-government", "digital-services", "environment", "justice"]
ORG_TYPES = ["government", "ngo", "academic", "private", "multilateral", "foundation", "faith"]
SECTIONS = {
    "problem": "Residents had **no say** in where investment went; complaints went unanswered.",
    "context": "A city of 1.4 million people in 17 districts, after a decade of "
               "[fiscal reform](https://example.org/reform).",
    "approach": "1. Open assemblies every spring\n2. Elected delegates rank priorities\n"
                "3. A weighting formula favours districts in need\n\n> Publish the results.",
    "results": "Sewerage coverage rose from 46% to 85% in ten years; attendance peaked above "
               "30,000 people a year.",
    "lessons": "Publish what happened to last year's votes before asking people to vote again.",
}


class CpuTimer(ServerTimer):
    """Also reports the worker's CPU time for the request (a sync worker serves one request at
    a time), which, unlike wall time, does not grow when other processes load the machine."""

    def __call__(self, environ, start_response):
        start = time.process_time()

        def cpu_start_response(status, headers, exc_info=None):
            headers.append((CPU_HEADER, f"{(time.process_time() - start) * 1000:.3f}"))
            return start_response(status, headers, exc_info)

        return super().__call__(environ, cpu_start_response)


def load(port: int, paths: list[str], seconds: float, clients: int) -> dict:
    """Like bench.forums.load, also collecting the CPU-time header."""
    server_ms, cpu_ms, lock, stop = [], [], threading.Lock(), time.perf_counter() + seconds
    done, errors = [0], [0]

    def get(path):
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < stop:
            response = get(rng.choice(paths))
            with lock:
                if response.status != 200:
                    errors[0] += 1
                    continue
                done[0] += 1
                server_ms.append(float(response.getheader(HEADER)))
                cpu_ms.append(float(response.getheader(CPU_HEADER) or 0))

    for path in paths[:5] * 4:  # warm up both workers' caches
        assert get(path).status == 200, path
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    server_ms.sort()
    cpu_ms.sort()
    return {"requests": done[0], "errors": errors[0], "rps": done[0] / elapsed,
            "median": statistics.median(server_ms), "p95": _p95(server_ms),
            "cpu_median": statistics.median(cpu_ms), "cpu_p95": _p95(cpu_ms)}


def _p95(values: list[float]) -> float:
    return values[max(0, int(len(values) * 0.95) - 1)]


def practice_app():
    from marketplace import create_app

    app = create_app({"DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
                      "SECRET_KEY": "bench-secret-key-0123456789-0123456789-abcdef"})
    return CpuTimer(app)


def bare_app():
    """The reference: Flask + SQLAlchemy Core + Jinja, 20 rows of the same database."""
    from flask import Flask, render_template_string
    from sqlalchemy import create_engine, text

    app = Flask("bare")
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    page = ("<!doctype html><title>bare</title><ol>{% for r in rows %}<li><a href='/p/{{ r.slug }}'>"
            "{{ r.title }}</a> {{ r.summary }} {{ r.endorsement_count }}</li>{% endfor %}</ol>")

    @app.route("/bare")
    def bare():
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT slug, title, summary, endorsement_count FROM practice "
                "WHERE status = 'published' ORDER BY published_at DESC LIMIT 20")).all()
        return render_template_string(page, rows=rows)

    return CpuTimer(app)


# --- data ------------------------------------------------------------------------------------


def _attachments(s, practice_ids: list[int], per_practice: int, start) -> None:
    """`per_practice` files on each practice: rows only (the page lists them; no bytes needed)."""
    from sqlalchemy import insert

    from marketplace.files.models import Attachment, Blob

    blobs = [{"sha256": f"{n:064x}", "size": 250_000 + n, "media_type": "application/pdf",
              "created_at": start} for n in range(1, per_practice + 2)]
    s.execute(insert(Blob), blobs)
    rows = []
    for i in practice_ids:
        for n in range(per_practice):
            image = n == per_practice - 1 and per_practice > 1
            rows.append({"parent_kind": "practice", "parent_id": i, "purpose": "evidence",
                         "name": f"photo-{n}.png" if image else f"evaluation-report-{n}.pdf",
                         "category": "image" if image else "document",
                         "media_type": "image/png" if image else "application/pdf",
                         "size": 250_000 + n, "blob_sha256": blobs[n]["sha256"],
                         "thumb_sha256": blobs[-1]["sha256"] if image else None, "uploader_id": 1,
                         "added_revision": 1, "created_at": start, "text_error": "",
                         "text_status": "none" if image else "extracted",
                         "text_pages": None if image else ["Page one.", "Page two."]})
    s.execute(insert(Attachment), rows)


def build(database_url: str, attachments: int = 0) -> dict:
    from sqlalchemy import insert, update

    from marketplace import create_app
    from marketplace.accounts.models import Organization, User
    from marketplace.extensions import db
    from marketplace.knowledge.models import (
        Endorsement,
        Practice,
        PracticeCountry,
        PracticeOrganization,
        PracticeTag,
        PracticeTheme,
        Revision,
    )
    from marketplace.text import render_markdown

    rng = random.Random(7)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x" * 40,
                      "SEARCH_DRAIN": "manual"})
    html = {k: render_markdown(v) for k, v in SECTIONS.items()}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.create_all()
        s = db.session
        s.execute(insert(User), [{"id": i, "email": f"u{i}@example.org", "stored_name":
                                   f"Member {i}", "password_hash": "x", "created_at": start,
                                   "updated_at": start} for i in range(1, USERS + 1)])
        s.execute(insert(Organization), [{"id": i, "name": f"Organization {i}", "slug": f"org-{i}",
                                          "type": ORG_TYPES[i % len(ORG_TYPES)],
                                          "country": COUNTRIES[i % len(COUNTRIES)],
                                          "created_at": start, "updated_at": start}
                                         for i in range(1, ORGS + 1)])
        parents = list(range(1, PARENTS + 1))
        children = {p: list(range(PRACTICES - p * CHILDREN + 1, PRACTICES - (p - 1) * CHILDREN + 1))
                    for p in parents}
        parent_of = {c: p for p, cs in children.items() for c in cs}
        rows, links = [], {"c": [], "t": [], "g": [], "o": []}
        for i in range(1, PRACTICES + 1):
            when = start + timedelta(minutes=i * 7)
            countries = rng.sample(COUNTRIES, rng.randint(1, 3))
            draft = i % 20 == 0 and i not in parent_of and i > PARENTS
            rows.append({
                "id": i, "slug": f"practice-{i}", "title": f"Practice number {i}: open budgets",
                "summary": "Residents decide part of the capital budget in public assemblies.",
                **{f"{k}_source": v for k, v in SECTIONS.items()},
                **{f"{k}_html": v for k, v in html.items()},
                "level": ["local", "national", "regional", "global"][i % 4],
                "language": "en" if i % 5 else "fr", "licence": "CC-BY-4.0",
                "status": "draft" if draft else "published", "owner_id": rng.randint(1, USERS),
                "parent_id": parent_of.get(i),
                "adaptation_country": countries[0] if i in parent_of else None,
                "adaptation_context": "Another country." if i in parent_of else "",
                "adaptation_rationale": "Smaller budgets." if i in parent_of else "",
                "endorsement_count": 25 if i <= RICH else rng.randint(0, 5),
                "adaptation_count": CHILDREN if i in children else 0,
                "current_revision_id": None, "published_at": None if draft else when,
                "created_at": when, "updated_at": when})
            links["c"] += [{"practice_id": i, "country": c} for c in countries]
            links["t"] += [{"practice_id": i, "theme": t} for t in rng.sample(THEMES, rng.randint(1, 3))]
            links["g"] += [{"practice_id": i, "tag": t} for t in ("budgets", f"tag-{i % 50}")]
            links["o"].append({"practice_id": i, "organization_id": rng.randint(1, ORGS)})
        s.execute(insert(Practice), rows)
        for model, key in ((PracticeCountry, "c"), (PracticeTheme, "t"), (PracticeTag, "g"),
                           (PracticeOrganization, "o")):
            s.execute(insert(model), links[key])
        revisions, rev_id, current = [], 0, {}
        for i in range(1, PRACTICES + 1):
            for n in range(1, (20 if i <= RICH else 1) + 1):
                rev_id += 1
                revisions.append({"id": rev_id, "practice_id": i, "number": n,
                                  "data": {"title": rows[i - 1]["title"], **SECTIONS},
                                  "author_id": rng.randint(1, USERS), "message": f"edit {n}",
                                  "created_at": start})
            current[i] = rev_id
        s.execute(insert(Revision), revisions)
        s.execute(update(Practice), [{"id": i, "current_revision_id": r} for i, r in current.items()])
        s.execute(insert(Endorsement), [
            {"practice_id": i, "user_id": u, "kind": "applied" if u % 2 else "recommend",
             "comment": "Worked for us." if u % 3 else "", "created_at": start}
            for i in range(1, RICH + 1) for u in rng.sample(range(1, USERS + 1), 25)])
        published_ids = [r["id"] for r in rows if r["status"] == "published"][:RICH]
        if attachments:
            _attachments(s, published_ids, attachments, start)
        s.commit()
        benchmark = _cases(app)
        db.engine.dispose()
    published = [r["slug"] for r in rows if r["status"] == "published"]
    return {"practice_paths": [f"/practices/{slug}" for slug in published[:RICH - 20]
                               + rng.sample(published[RICH:], 400)],
            "attachment_paths": [f"/practices/{rows[i - 1]['slug']}" for i in published_ids] if attachments else [],
            "benchmark": benchmark}


def _cases(app) -> str | None:
    """200 published case studies reporting one metric (only if marketplace.cases exists)."""
    try:
        from marketplace.cases import services as cases
    except ImportError:
        return None
    from marketplace.accounts.models import User
    from marketplace.extensions import db

    rng = random.Random(11)
    with app.test_request_context():
        cases.create_metric_definition(slug=METRIC, name="Response time", unit="days",
                                       direction="lower")
        owner = db.session.get(User, 1)
        for i in range(CASES):
            cases.create_case_study(owner, cases.CaseInput(
                title=f"Case {i}", country=COUNTRIES[i % len(COUNTRIES)], status="published",
                context="About this case.", metrics=[cases.MetricInput(
                    METRIC, rng.randint(10, 60), rng.randint(3, 40))]))
        db.session.commit()
    return f"/benchmarks/{METRIC}"


def count_queries(database_url: str, paths: dict[str, list[str]]) -> dict[str, int]:
    """Queries per page (max over a few URLs of each page), anonymous reader."""
    from sqlalchemy import event

    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x" * 40})
    out = {}
    with app.app_context():
        client = app.test_client()
        for name, urls in paths.items():
            counts = []
            for url in urls[:5]:
                client.get(url)  # warm caches
                hits = [0]

                def hit(*args, hits=hits):
                    hits[0] += 1

                event.listen(db.engine, "before_cursor_execute", hit)
                response = client.get(url)
                event.remove(db.engine, "before_cursor_execute", hit)
                assert response.status_code == 200, (url, response.status_code)
                counts.append(hits[0])
            out[name] = max(counts)
        db.engine.dispose()
    return out


# --- run -------------------------------------------------------------------------------------

LIST_PATHS = ["/practices/", "/practices/?page=2", "/practices/?page=40", "/practices/?sort=endorsed",
              "/practices/?sort=adapted", "/practices/?country=KE", "/practices/?theme=health",
              "/practices/?country=BR&theme=education&sort=endorsed",
              "/practices/?org_type=ngo&page=3", "/practices/?level=local&language=fr"]
TARGETS = {"practice page": 10.0, "list page": 15.0}
FILES_PAGE = "practice page ({n} files)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--attachments", type=int, default=0, metavar="N",
                        help="also measure practice pages with N attached files each")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-knowledge-"))
    try:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        print(f"building {PRACTICES} practices in {tmp} …", flush=True)
        os.environ.update(MARKETPLACE_INSTANCE_PATH=str(tmp), MARKETPLACE_SEARCH_DRAIN="manual")
        data = build(url, args.attachments)
        app_target, bare_target = "bench.knowledge:practice_app()", "bench.knowledge:bare_app()"
        pages = {"practice page": (app_target, 5811, data["practice_paths"]),
                 "list page": (app_target, 5811, LIST_PATHS)}
        if data["attachment_paths"]:
            pages[FILES_PAGE.format(n=args.attachments)] = (app_target, 5811, data["attachment_paths"])
            TARGETS[FILES_PAGE.format(n=args.attachments)] = TARGETS["practice page"]
        if data["benchmark"]:
            pages["benchmark page (200 cases)"] = (app_target, 5811, [data["benchmark"]])
        pages["bare Flask page (20 rows)"] = (bare_target, 5812, ["/bare"])
        queries = count_queries(url, {k: v[2] for k, v in pages.items() if v[0] == app_target})
        env = {**os.environ, "BENCH_DATABASE_URL": url}
        results, servers = {}, {}
        try:
            for name, (target, port, paths) in pages.items():
                if target not in servers:
                    servers[target] = serve(target, port, env)
                results[name] = r = load(port, paths, args.seconds, args.clients)
                r["queries"] = queries.get(name)
                print(f"{name:28} median {r['median']:6.2f} ms  p95 {r['p95']:6.2f} ms  "
                      f"cpu {r['cpu_median']:5.2f}/{r['cpu_p95']:5.2f} ms  "
                      f"{r['rps']:7.1f} req/s  queries {r['queries'] or '-'}  "
                      f"({r['requests']} requests, {r['errors']} errors)", flush=True)
        finally:
            for proc in servers.values():
                proc.terminate()
                proc.wait(timeout=10)
        report = _report(results, args)
        print(report)
        if args.write_docs:
            _write_docs(report)
        ok = _targets_met(results)
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _targets_met(results: dict) -> bool:
    bare = results["bare Flask page (20 rows)"]["rps"]
    p95_ok = all(results[name]["p95"] <= limit for name, limit in TARGETS.items())
    rps_ok = all(r["rps"] >= 0.3 * bare for name, r in results.items() if not name.startswith("bare"))
    return p95_ok and rps_ok


def _report(results: dict, args) -> str:
    bare = results["bare Flask page (20 rows)"]["rps"]
    lines = [
        "## Knowledge", "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `.venv/bin/python bench/knowledge.py"
        f" --seconds {args.seconds:g} --clients {args.clients}` (SQLite, gunicorn 2 sync "
        f"workers, anonymous reader; {PRACTICES:,} practices, {RICH} of them with 20 revisions "
        f"and 25 endorsements, {PARENTS} with {CHILDREN} adaptations; {CASES} case studies on "
        "the benchmark page). Practice page: 800 different practices; list page: 10 URLs mixing "
        "filters, sorts and deep pages (20 a page). Server time is measured inside the worker, "
        "from request arrival to response ready; requests/s from concurrent clients on the same "
        "2 cores, so it includes their cost; CPU is the worker's own CPU time for the request "
        "(it does not grow with other load on the machine); queries are counted in-process. "
        f"Load average during the run: {os.getloadavg()[0]:.1f} on 2 cores.", "",
        "| page | server median | server p95 | CPU median | CPU p95 | requests/s | vs bare page "
        "| queries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['median']:.2f} ms | {r['p95']:.2f} ms | "
                     f"{r['cpu_median']:.2f} ms | {r['cpu_p95']:.2f} ms | {r['rps']:.0f} | "
                     f"{r['rps'] / bare:.0%} | {r.get('queries') or '1'} |")
    lines += ["", "Targets: practice page p95 ≤ 10 ms, list page p95 ≤ 15 ms, each page's "
              "requests/s ≥ 30% of the bare page's.", "", ANALYSIS]
    return "\n".join(lines) + "\n"


# Kept with the numbers in docs/benchmarks.md (written from measurements on 2026-12-05).
ANALYSIS = """\
What changed on 2026-12-05 and what it bought. Before, on an idle machine, the worker's CPU per
request was 5.6 ms (median) for the practice page, 8.1 ms for the list and 8.4 ms for the
benchmark page (req/s 22%, 15% and 16% of the bare page's; list p95 17.3 ms). Instructions per
request, counted with valgrind in-process (deterministic, unlike times on this shared machine):
practice page 34.0 -> 13.9 M, list 56.2 -> 25.8 M, benchmark page 75.5 -> 38.8 M, the 404 page
(the floor every templated page pays) 9.1 -> 5.4 M. The steps, in the order they helped:

- Statements and ORM work, not SQL: the practice page's SQL took ~0.2 ms of its ~6 ms. Its
  countries, themes, tags, organizations and co-authors come from one UNION ALL of plain
  columns (five selectinloads cost ~0.22 ms of ORM work each), endorsements as rows, lineage
  nodes with load_only: 10 -> 6 queries (an adaptation 16 -> 8). The list selects the nine
  columns a card shows instead of 20 full rows with ten Markdown columns each, then countries
  and themes in one query (4 -> 3). Building a select with loader options or a recursive CTE
  cost about as much as running it (60-130 us), so these statements are built once at import
  and run with parameters.
- Indexes (migration 331ada02c469): the list's count for level=local&language=fr read ~9,500
  practice rows past their Markdown columns (4.8 ms on SQLite); (status, level, language) and
  (language, status) answer it from the index (0.005 ms). (status, id) lets a count probe the
  ids that an IN (country, theme, organization type) subquery returns instead of scanning every
  published practice, and (value, practice_id) indexes cover those subqueries: SQL for the ten
  list URLs 1.7 -> 0.7 ms on average.
- Translation and formatting, paid by every page: Flask-Babel resolved the locale through three
  context lookups for each _() in a template (~5 us) and format_decimal re-parsed its pattern
  for each number (~7 us, ~280 figures on the benchmark page); every read through Flask's `g`
  proxy cost ~1 us. Templates now read the request's catalog once, the locale is one shared
  object read from Flask-Babel's slot, numbers go through a per-locale memo, country names and
  lazy labels (themes, levels, statuses, organization types) are translated once per locale.
- Templates: the footer's language form is written out instead of a WTForms form built and
  rendered on every page (~0.1 ms); the practice page builds its forms only for readers who can
  use them; the list's cards are inline (an include per card cost more than the card), and
  their counts are plurals. Benchmark page: one pass over the sorted keys ranks the peers.

Where the time goes now (in-process profiles): the request floor is ~0.6 ms (Flask, the session
and CSRF cookies, Flask-Limiter, the layout with ~20 url_for and ~25 translated strings); each
ORM query costs ~0.1 ms of Python beyond SQLite; url_for costs ~4 us a link in a template (20
cards, 50 benchmark rows). The benchmark page stays the heaviest and only just clears the
requests/s target (30-32% of the bare page in the quieter runs of 2026-12-05): 200 peers read
and ranked, then 50 table rows and a 40-bar chart, about a thousand escaped values and 280
formatted figures; 50 url_for calls and the frozen Point dataclasses are the next ~0.3 ms.
Wall-clock times still depend on the load other processes put on the 2 cores: read the CPU
columns and the load average with them."""


def _write_docs(report: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    start = text.find("\n## Knowledge\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + text[end:] if end >= 0 else text[:start]
    path.write_text(text.rstrip("\n") + "\n\n" + report)


if __name__ == "__main__":
    raise SystemExit(main())
