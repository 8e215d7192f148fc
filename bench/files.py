"""Evidence files: text extraction of a 50-page PDF does not block requests (issue 16).

    .venv/bin/python bench/files.py [--seconds 8] [--clients 4] [--pages 50] [--extract thread|process]

Serves the app with `gunicorn -w 2` (sync workers, the production set-up) on SQLite in a
temporary instance folder, with FILES_EXTRACT=thread and SEARCH_DRAIN=thread (the defaults).
Then:
1. baseline: concurrent readers load a practice page for --seconds;
2. a signed-in author uploads a --pages-page PDF (about 40 lines of text a page) through the real
   upload form; the upload's response time is measured (extraction is not in it);
3. at once the readers load the practice page again until the PDF's text is extracted and the
   practice re-indexed with it (or --seconds have passed, whichever is later), while a watcher
   polls the attachment's text_status in the database.
It prints the upload's response time, how long extraction took after the upload, and the page's
server time (median, p95, max) and requests/s before and during extraction. "Does not block"
means: the upload answers in about the time of an ordinary form post, and the page's p95 during
extraction stays within its target (bench/knowledge.py: 10 ms) on an otherwise idle machine.
Load average is printed; on a loaded machine compare before/during, not absolute numbers.
`--extract process` sets FILES_EXTRACT=manual and runs `marketplace files extract` as its own
process right after the upload (what the `files-extract` job does every minute): extraction then
never shares a web worker's interpreter (and its GIL) with requests.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.forums import HEADER, ServerTimer, serve  # noqa: E402
from tests.files import samples  # noqa: E402

PORT = 5821
PASSWORD = "bench-Password-files-2026"
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
LINE = "Solar pumps and village committees: cost {n} per household, {m} minutes saved per trip."


def files_app():
    from marketplace import create_app

    return ServerTimer(create_app({"DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
                                   "SECRET_KEY": "bench-secret-key-0123456789-0123456789-abcdef"}))


def pdf(pages: int, lines: int = 40) -> bytes:
    """A valid PDF of `pages` pages with `lines` lines of text each (the tests' hand-built PDF)."""
    return samples.pdf(["\n".join(LINE.format(n=p * lines + i, m=i % 60) for i in range(lines))
                        for p in range(pages)])


def build(database_url: str) -> tuple[str, int]:
    from datetime import timedelta

    from marketplace import create_app
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db
    from marketplace.knowledge import services
    from marketplace.knowledge.models import Status

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x" * 40, "SEARCH_DRAIN": "manual",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        author = register_user("author@example.org", "Bench Author", PASSWORD, confirmed=True)
        author.created_at -= timedelta(days=30)
        practice = services.create_practice(author, {
            "title": "Solar pumps for village water points", "summary": "Pumps run by committees.",
            "problem": "Long walks for water.", "approach": "Committees run solar pumps.",
            "countries": ["KE"], "themes": ["governance"]}, status=Status.PUBLISHED)
        db.session.commit()
        slug, practice_id = practice.slug, practice.id
        db.engine.dispose()
    return slug, practice_id


class Session:
    """A cookie-keeping HTTP client for one signed-in author."""

    def __init__(self, port: int):
        self.port, self.cookies = port, SimpleCookie()

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = HTTPConnection("127.0.0.1", self.port, timeout=120)
        cookie = "; ".join(f"{k}={v.value}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers={**(headers or {}), **({"Cookie": cookie} if cookie else {})})
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        conn.close()
        return response.status, data.decode("utf-8", "replace")

    def token(self, path: str) -> str:
        return TOKEN.search(self.request("GET", path)[1]).group(1)


def sign_in(session: Session) -> None:
    form = urllib.parse.urlencode({"email": "author@example.org", "password": PASSWORD,
                                   "csrf_token": session.token("/login")}).encode()
    status, _ = session.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302, f"sign-in failed: {status}"


def upload(session: Session, practice_slug: str, practice_id: int, data: bytes) -> float:
    token = session.token(f"/practices/{practice_slug}")
    boundary = "----bench-files-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"evaluation.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    started = time.perf_counter()
    status, _ = session.request("POST", f"/files/attach/practice/{practice_id}", body,
                                {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    elapsed = time.perf_counter() - started
    assert status == 302, f"upload failed: {status}"
    return elapsed


def read_load(path: str, until, clients: int) -> dict:
    """Readers load `path` until `until()` is true; server times in ms."""
    times, lock, done = [], threading.Lock(), [0]
    started = time.perf_counter()

    def reader():
        while not until():
            conn = HTTPConnection("127.0.0.1", PORT, timeout=30)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            with lock:
                if response.status == 200:
                    times.append(float(response.getheader(HEADER)))
                    done[0] += 1

    pool = [threading.Thread(target=reader) for _ in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    times.sort()
    return {"requests": done[0], "rps": done[0] / elapsed, "median": statistics.median(times),
            "p95": times[max(0, int(len(times) * 0.95) - 1)], "max": times[-1]}


def text_status(database_url: str) -> str | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        status = conn.execute(text("SELECT text_status FROM attachment ORDER BY id DESC LIMIT 1")).scalar()
    engine.dispose()
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--extract", choices=["thread", "process"], default="thread")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-files-"))
    server = None
    try:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        os.environ.update(MARKETPLACE_INSTANCE_PATH=str(tmp))
        slug, practice_id = build(url)
        document = pdf(args.pages)
        env = {**os.environ, "BENCH_DATABASE_URL": url,
               "MARKETPLACE_FILES_EXTRACT": "thread" if args.extract == "thread" else "manual",
               "MARKETPLACE_SEARCH_DRAIN": "thread", "MARKETPLACE_RATELIMIT_ENABLED": "false",
               "MARKETPLACE_LOG_LEVEL": "WARNING"}
        server = serve("bench.files:files_app()", PORT, env)
        page = f"/practices/{slug}"
        for _ in range(8):  # warm both workers
            conn = HTTPConnection("127.0.0.1", PORT, timeout=10)
            conn.request("GET", page)
            conn.getresponse().read()
            conn.close()
        stop = time.perf_counter() + args.seconds
        before = read_load(page, lambda: time.perf_counter() > stop, args.clients)

        author = Session(PORT)
        sign_in(author)
        took = upload(author, slug, practice_id, document)
        uploaded_at = time.perf_counter()
        extracted: list[float] = []
        if args.extract == "process":
            subprocess.Popen([str(ROOT / ".venv/bin/marketplace"), "files", "extract"], env=env,
                             stdout=subprocess.DEVNULL)

        def watch():
            while time.perf_counter() - uploaded_at < 300:
                if text_status(url) in ("extracted", "failed"):
                    extracted.append(time.perf_counter() - uploaded_at)
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        stop = time.perf_counter() + args.seconds
        during = read_load(page, lambda: bool(extracted) and time.perf_counter() > stop
                           or time.perf_counter() - uploaded_at > 300, args.clients)
        watcher.join()
        print(f"extraction: {args.extract}")
        print(f"PDF: {args.pages} pages, {len(document) / 1000:.0f} KB; final text_status {text_status(url)}")
        print(f"upload response: {took * 1000:.0f} ms (extraction is not part of it)")
        print(f"text extracted {extracted[0]:.2f} s after the upload answered" if extracted
              else "text NOT extracted within 300 s")
        for name, r in (("before", before), ("during extraction", during)):
            print(f"practice page {name:18} median {r['median']:6.2f} ms  p95 {r['p95']:6.2f} ms  "
                  f"max {r['max']:7.2f} ms  {r['rps']:6.1f} req/s  ({r['requests']} requests)")
        print(f"load average: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        return 0 if extracted else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
