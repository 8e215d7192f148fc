"""Search benchmark: index build, size, memory and query latency at 100k documents, with
SQLite FTS5 over the same documents in the same run as the baseline.

    .venv/bin/python bench/search.py                # 100,000 documents (takes several minutes)
    .venv/bin/python bench/search.py --docs 10000   # a quick run

The corpus: every GOV.UK service-manual guide and Participedia case and method in
../shared/corpus, then synthetic practices whose words are drawn (fixed seed) from that text, so
term frequencies look like the real thing. Rows go into a fresh SQLite database through the
real models; the index is built by the real `reindex()` (database -> documents -> new
directory -> swap); queries run in a separate worker process through the real `search.query()`
with highlighted top-10 results, and the search page through the Flask test client.
Query sets: one and two common words, two-word phrases, a word with a country filter (and
facets), and 4-8-word natural-language queries (a run of a real description's words with one
swapped, so best-effort matching often decides; FTS5 answers them with OR).
Results: printed, and written to bench/out/search.json.
"""

import argparse
import csv
import json
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("TEST_CORPUS_DIR") or ROOT.parent / "shared" / "corpus")
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

COUNTRIES = ["KE", "GH", "NG", "ZA", "IN", "BR", "MX", "PE", "FR", "SN", "ES", "GB", "US", "ID",
             "PH", "BD", "TZ", "UG", "CO", "AR", "CL", "MA", "TN", "VN", "KH", "NP", "PK", "EG"]
THEMES = ["governance", "anti-corruption", "public-finance", "health", "education", "justice",
          "environment", "local-government", "digital-services", "gender-equality",
          "participation", "disaster-risk-reduction", "economic-development"]
N_QUERIES = 100


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


# --- corpus ---------------------------------------------------------------------------------


def real_documents() -> list[dict]:
    docs = []
    for line in (CORPUS / "gds-service-manual" / "service_manual.jsonl").read_text().splitlines():
        row = json.loads(line)
        docs.append({"title": row["title"] or row["path"], "summary": row["subtitle"] or "",
                     "body": row["body_markdown"] or ""})
    csv.field_size_limit(10**9)
    for name in ("cases.csv", "methods_full_export.csv"):
        with open(CORPUS / "participedia" / name, encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                docs.append({"title": row["title"].capitalize(), "summary": "",
                             "body": row.get("description") or ""})
    return [d for d in docs if d["title"]]


def synthetic_documents(n: int, real: list[dict], rng: random.Random) -> list[dict]:
    words = re.findall(r"[a-zA-Z]{3,}", " ".join(d["title"] + " " + d["body"] for d in real))
    words = [w.lower() for w in words]
    out = []
    for _ in range(n):
        title = " ".join(rng.choices(words, k=rng.randint(3, 8))).capitalize()
        summary = " ".join(rng.choices(words, k=rng.randint(12, 30)))
        body = " ".join(rng.choices(words, k=rng.randint(120, 450)))
        out.append({"title": title, "summary": summary, "body": body})
    return out


def corpus(n: int) -> list[dict]:
    rng = random.Random(42)
    real = real_documents()
    docs = (real + synthetic_documents(max(0, n - len(real)), real, rng))[:n]
    for i, d in enumerate(docs, start=1):
        d["id"] = i
        d["language"] = rng.choices(["en", "fr", "es"], weights=[8, 1, 1])[0]
        d["countries"] = sorted(set(rng.choices(COUNTRIES, k=rng.randint(1, 2))))
        d["themes"] = sorted(set(rng.choices(THEMES, k=rng.randint(1, 2))))
        d["endorsements"] = rng.randint(0, 40)
    return docs, real


# --- loading the database through the models ------------------------------------------------


def make_app(instance: Path):
    from marketplace import create_app

    return create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench-" + "x" * 40,
                       "SEARCH_DRAIN": "manual", "SERVER_NAME": "localhost",
                       "RATELIMIT_ENABLED": False})


def load_database(app, docs: list[dict]) -> float:
    from sqlalchemy import insert

    from marketplace.accounts.models import User
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.knowledge.models import Practice, PracticeCountry, PracticeTheme

    started = time.monotonic()
    db.create_all()
    db.session.execute(insert(User), [{"id": 1, "email": "bench@example.org",
                                      "stored_name": "Bench Author", "password_hash": "x"}])
    now = utcnow()
    for start in range(0, len(docs), 5000):
        chunk = docs[start:start + 5000]
        db.session.execute(insert(Practice), [{
            "id": d["id"], "slug": f"p-{d['id']}", "title": d["title"][:200],
            "summary": d["summary"][:600], "approach_source": d["body"], "language": d["language"],
            "status": "published", "owner_id": 1, "endorsement_count": d["endorsements"],
            "published_at": now, "created_at": now, "updated_at": now} for d in chunk])
        db.session.execute(insert(PracticeCountry), [
            {"practice_id": d["id"], "country": c} for d in chunk for c in d["countries"]])
        db.session.execute(insert(PracticeTheme), [
            {"practice_id": d["id"], "theme": t} for d in chunk for t in d["themes"]])
        db.session.commit()
    return time.monotonic() - started


def build_index(app) -> dict:
    from marketplace.search import indexer

    started = time.monotonic()
    n = indexer.reindex()
    seconds = time.monotonic() - started
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    return {"documents": n, "seconds": round(seconds, 1), "docs_per_s": round(n / seconds),
            "index_mb": round(size / 2**20, 1), "builder_peak_rss_mb": round(rss_mb()[1]),
            "segments": len(list(index_dir.rglob("*.seg"))),
            # the rebuild's worker processes (largest of them), from the kernel's accounting
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


# --- queries ----------------------------------------------------------------------------------


def query_sets(real: list[dict], rng: random.Random) -> dict[str, list]:
    text = " ".join(d["title"] + " " + d["body"] for d in real).lower()
    from marketplace.search.schema import STOP

    stop_words = frozenset().union(*STOP.values())

    words = [w for w in re.findall(r"[a-z]{4,}", text) if w not in stop_words]
    freq: dict[str, int] = {}
    for w in words:
        freq[w] = freq.get(w, 0) + 1
    common = [w for w, _ in sorted(freq.items(), key=lambda x: -x[1])[:1500]]
    pairs: dict[str, int] = {}
    for a, b in zip(words, words[1:], strict=False):
        if a != b:
            pairs[f"{a} {b}"] = pairs.get(f"{a} {b}", 0) + 1
    phrases = [p for p, _ in sorted(pairs.items(), key=lambda x: -x[1])[:400]]
    return {
        "natural": natural_queries(real, common, rng),
        "one_term": rng.sample(common, N_QUERIES),
        "two_term": [" ".join(rng.sample(common[:400], 2)) for _ in range(N_QUERIES)],
        "phrase": [f'"{p}"' for p in rng.sample(phrases, N_QUERIES)],
        "faceted": [(w, rng.choice(COUNTRIES)) for w in rng.sample(common, N_QUERIES)],
    }


def natural_queries(real: list[dict], common: list[str], rng: random.Random) -> list[str]:
    """4-8 words as a person would type them: a run of a real description's words, stop words
    included, one of them swapped for another common word (so that often no document has
    every word and best-effort matching does the work)."""
    bodies = [d["body"] for d in real if len(d["body"]) > 200]
    out = []
    while len(out) < N_QUERIES:
        words = re.findall(r"[A-Za-z]+", rng.choice(bodies))
        n = rng.randint(4, 8)
        if len(words) <= n:
            continue
        start = rng.randrange(len(words) - n)
        query = [w.lower() for w in words[start:start + n]]
        query[rng.randrange(n)] = rng.choice(common[:1000])
        out.append(" ".join(query))
    return out


def pct(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples) * 1000, 1),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1] * 1000, 1)}


def worker(instance: str, sets_path: str) -> None:
    """Run in a fresh process: one web worker's view of search."""
    from marketplace import search

    app = make_app(Path(instance))
    sets = json.loads(Path(sets_path).read_text())
    out = {"rss_before_mb": round(rss_mb()[0])}
    with app.test_request_context():
        for warm in sets["one_term"][:10]:
            search.query(warm, facets=True)
        timings = {}
        for name in ("one_term", "two_term", "phrase", "natural"):
            samples = []
            for text in sets[name]:
                t = time.perf_counter()
                page = search.query(text, facets=False)
                _ = [str(h.title) + str(h.snippet) for h in page.hits]
                samples.append(time.perf_counter() - t)
            timings[name] = pct(samples)
        samples = []
        for text, country in sets["faceted"]:
            t = time.perf_counter()
            search.query(text, {"country": country}, facets=True)
            samples.append(time.perf_counter() - t)
        timings["faceted"] = pct(samples)
    client = app.test_client()
    samples = []
    for text, country in sets["faceted"]:
        t = time.perf_counter()
        resp = client.get("/search", query_string={"q": text, "country": country})
        samples.append(time.perf_counter() - t)
        assert resp.status_code == 200, resp.status_code
    timings["search_page"] = pct(samples)
    out.update(timings)
    out["rss_after_mb"], out["peak_rss_mb"] = (round(x) for x in rss_mb())
    print(json.dumps(out))


# --- SQLite FTS5 baseline ---------------------------------------------------------------------


def fts5(docs: list[dict], sets: dict, path: Path) -> dict:
    con = sqlite3.connect(path)
    started = time.monotonic()
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("CREATE TABLE facet (doc INTEGER, name TEXT, value TEXT)")
    con.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)",
                    ((d["id"], d["title"], d["summary"] + "\n" + d["body"]) for d in docs))
    con.executemany("INSERT INTO facet VALUES (?, ?, ?)", (
        (d["id"], name, v) for d in docs for name in ("countries", "themes")
        for v in d[name]))
    con.executemany("INSERT INTO facet VALUES (?, 'language', ?)",
                    ((d["id"], d["language"]) for d in docs))
    con.execute("CREATE INDEX ix_facet ON facet(doc)")
    con.commit()
    build = time.monotonic() - started

    def top10(match: str, where: str = "", args=()):
        con.execute("SELECT count(*) FROM docs WHERE docs MATCH ?" + where, (match, *args)).fetchone()
        return con.execute(
            "SELECT rowid, highlight(docs, 0, '<mark>', '</mark>'), "
            "snippet(docs, 1, '<mark>', '</mark>', ' … ', 24) FROM docs WHERE docs MATCH ?"
            + where + " ORDER BY bm25(docs, 3.0, 1.0) LIMIT 10", (match, *args)).fetchall()

    def fts_query(text: str, op: str = " AND ") -> str:
        if text.startswith('"'):
            return text
        return op.join(f'"{w}"' for w in text.split())

    out = {"build_s": round(build, 1), "size_mb": round(path.stat().st_size / 2**20, 1)}
    for name in ("one_term", "two_term", "phrase", "natural"):
        samples = []
        for text in sets[name]:
            t = time.perf_counter()
            # natural-language queries: FTS5 with OR (ranked by bm25), what matches most words
            top10(fts_query(text, " OR " if name == "natural" else " AND "))
            samples.append(time.perf_counter() - t)
        out[name] = pct(samples)
    samples = []
    country_filter = (" AND rowid IN (SELECT doc FROM facet WHERE name = 'countries'"
                      " AND value = ?)")
    for text, country in sets["faceted"]:
        t = time.perf_counter()
        top10(fts_query(text), country_filter, (country,))
        con.execute(
            "SELECT f.name, f.value, count(*) FROM facet f WHERE f.doc IN (SELECT rowid FROM docs "
            "WHERE docs MATCH ?" + country_filter + ") GROUP BY f.name, f.value",
            (fts_query(text), country)).fetchall()
        samples.append(time.perf_counter() - t)
    out["faceted"] = pct(samples)
    con.close()
    return out


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--worker", nargs=2, metavar=("INSTANCE", "SETS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    docs, real = corpus(args.docs)
    print(f"corpus: {len(docs)} documents ({len(real)} real), instance {tmp}", flush=True)
    app = make_app(tmp)
    with app.app_context():
        print(f"database loaded in {load_database(app, docs):.0f}s", flush=True)
        build = build_index(app)
    print(f"index: {build}", flush=True)
    sets = query_sets(real, random.Random(7))
    sets_path = tmp / "sets.json"
    sets_path.write_text(json.dumps(sets))
    run = subprocess.run([sys.executable, __file__, "--worker", str(tmp), str(sets_path)],
                         capture_output=True, text=True, check=True, env=os.environ)
    whoosh = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"whoosh worker: {whoosh}", flush=True)
    baseline = fts5(docs, sets, tmp / "fts5.sqlite3")
    print(f"sqlite fts5: {baseline}", flush=True)
    ratio = {k: round(whoosh[k]["p95_ms"] / max(baseline[k]["p95_ms"], 0.01), 2)
             for k in ("one_term", "two_term", "phrase", "natural", "faceted")}
    result = {"documents": len(docs), "cpus": os.cpu_count(), "load_avg": os.getloadavg(),
              "build": build, "whoosh": whoosh, "fts5": baseline, "p95_ratio_whoosh_to_fts5": ratio}
    (OUT / "search.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
