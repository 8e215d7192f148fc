"""Two nodes on one fresh PostgreSQL database: gunicorn (deploy/gunicorn.conf.py) and a
`marketplace search worker` each, own instance and index directory, Redis for rate limits.
Writes go through one node (direct service calls in a process configured as that node), searches
through the other over HTTP on 127.0.0.1. Prints each step and the numbers; exits 1 on failure;
stops every process it started."""

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PG = os.environ.get("TWO_NODES_PG", "postgresql://postgres@127.0.0.1:5432")
DB = os.environ.get("TWO_NODES_DB", "marketplace_ci_nodes")
REDIS = os.environ.get("TWO_NODES_REDIS", "redis://127.0.0.1:6379/14")
HOST = "marketplace.example.org"
S3_PORT = 18309
S3_URL, BUCKET = f"http://127.0.0.1:{S3_PORT}", "ci-files"
procs: list[subprocess.Popen] = []


STARTED = time.monotonic()


def step(text: str) -> None:
    print(f"--- [{time.monotonic() - STARTED:5.1f}s] {text}", flush=True)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def template() -> dict[str, str]:
    import shlex
    env = {}
    for line in (ROOT / "deploy" / "marketplace.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = " ".join(shlex.split(value)) if value else ""
    return env


def node_env(name: str, base: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETPLACE_", "PROMETHEUS_"))}
    env |= template() | {
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "MARKETPLACE_SECRET_KEY": SECRET,
        "MARKETPLACE_NODE_NAME": name,
        "MARKETPLACE_INSTANCE_PATH": str(base / name / "instance"),
        "MARKETPLACE_SEARCH_INDEX_DIR": str(base / name / "index"),
        "MARKETPLACE_DATABASE_URL": f"{PG}/{DB}",
        "MARKETPLACE_RATELIMIT_STORAGE_URL": REDIS,
        "MARKETPLACE_MAIL_BACKEND": "outbox",
        "PROMETHEUS_MULTIPROC_DIR": str(base / name / "metrics"),
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2",
        # Uploaded files in one S3-compatible bucket (moto's server on loopback, started below).
        "MARKETPLACE_FILES_STORAGE": "s3", "MARKETPLACE_FILES_S3_BUCKET": BUCKET,
        "MARKETPLACE_FILES_S3_ENDPOINT_URL": S3_URL, "MARKETPLACE_FILES_S3_REGION": "us-east-1",
        "MARKETPLACE_FILES_S3_ACCESS_KEY_ID": "ci", "MARKETPLACE_FILES_S3_SECRET_ACCESS_KEY": "ci",
    }
    for d in ("instance", "metrics"):
        (base / name / d).mkdir(parents=True, exist_ok=True)
    return env


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                         start_new_session=True)
    procs.append(p)
    return p


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_ready(port: int, deadline: float) -> str:
    while True:
        try:
            status, body = get(port, "/readyz")
            if status == 200:
                return body
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"node on {port} not ready: {body if 'body' in dir() else ''}")
        time.sleep(0.3)


def found(port: int, word: str) -> bool:
    status, body = get(port, "/search?q=" + urllib.parse.quote(word))
    return status == 200 and f"<mark>{word}</mark>" in body  # a hit's highlighted title, not the query box


def start_s3(base: Path) -> None:
    """moto's S3-compatible server on loopback, with an empty bucket for both nodes' files."""
    import boto3
    start([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(S3_PORT)], dict(os.environ), base / "s3.log")
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(S3_URL + "/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the S3 server did not start") from None
            time.sleep(0.2)
    boto3.client("s3", endpoint_url=S3_URL, region_name="us-east-1", aws_access_key_id="ci",
                 aws_secret_access_key="ci").create_bucket(Bucket=BUCKET)
    step(f"S3-compatible server on 127.0.0.1:{S3_PORT}, bucket {BUCKET}")


def writer_app(env: dict):
    """An app configured as the node `env` describes, in this process (writes only)."""
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("MARKETPLACE_")})
    os.environ["MARKETPLACE_SEARCH_DRAIN"] = "manual"  # the node's worker applies the log
    from marketplace import create_app
    app = create_app()
    os.environ.clear()
    os.environ.update(saved)
    return app


def main() -> int:
    global SECRET
    SECRET = "k" + uuid.uuid4().hex + uuid.uuid4().hex
    base = Path(tempfile.mkdtemp(prefix="two-nodes-"))
    ports = {"A": free_port(), "B": free_port()}
    envs = {n: node_env(n, base, p) for n, p in ports.items()}
    step(f"fresh database {DB}")
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=True, capture_output=True)
    start_s3(base)
    subprocess.run([str(BIN / "marketplace"), "db", "upgrade"], cwd=ROOT, env=envs["A"], check=True,
                   capture_output=True)
    step("migrated; building both nodes' indexes, then starting gunicorn and a search worker on each")
    builds = [subprocess.Popen([str(BIN / "marketplace"), "search", "reindex"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL) for env in envs.values()]
    if any(b.wait() for b in builds):
        raise SystemExit("search reindex failed")
    web, workers = {}, {}
    for name, env in envs.items():
        web[name] = start([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], env,
                          base / f"web-{name}.log")
        workers[name] = start([str(BIN / "marketplace"), "search", "worker"], env, base / f"worker-{name}.log")

    from marketplace.accounts.services import register_user
    from marketplace.extensions import db
    from marketplace.knowledge import services as knowledge
    from marketplace.knowledge.models import Status

    apps = {n: writer_app(e) for n, e in envs.items()}  # while the nodes boot
    for name, port in ports.items():
        wait_ready(port, time.monotonic() + 90)
        step(f"node {name} on 127.0.0.1:{port}: /readyz green")

    def write(node: str, title: str, owner_email: str) -> None:
        with apps[node].test_request_context():
            from marketplace.accounts.services import get_user_by_email
            owner = get_user_by_email(owner_email)
            knowledge.create_practice(owner, {"title": title, "summary": "two nodes", "countries": ["KE"],
                                              "themes": ["health"]}, status=Status.PUBLISHED)
            db.session.commit()

    with apps["A"].test_request_context():
        register_user("ci-a@example.org", "Node A author", "quartz-Meadow-lantern-77")
        db.session.commit()
    step("registered ci-a@example.org through node A")

    delays = []
    for n in range(50):
        word = f"kiosk{uuid.uuid4().hex[:10]}"
        write("B", f"Water {word}", "ci-a@example.org")
        written = time.monotonic()
        while not found(ports["A"], word):
            if time.monotonic() - written > 10:
                raise SystemExit(f"write {n} on B not searchable on A after 10 s")
            time.sleep(0.02)
        delays.append(time.monotonic() - written)
    q = statistics.quantiles(delays, n=20)
    p50, p95 = statistics.median(delays), q[18]
    step(f"50 practices written on B, found by search on A: p50 {p50:.3f}s, p95 {p95:.3f}s, max {max(delays):.3f}s")
    if p95 > 2.0:
        raise SystemExit("cross-node search delay p95 over 2 s")

    # A file attached through node B is served by node A (both read the one bucket).
    from marketplace.files import services as files
    evidence = f"Evidence {uuid.uuid4().hex}\n".encode()
    with apps["B"].test_request_context():
        from marketplace.accounts.services import get_user_by_email
        owner = get_user_by_email("ci-a@example.org")
        practice = knowledge.create_practice(owner, {"title": "Files on two nodes", "countries": ["KE"],
                                                     "themes": ["health"]}, status=Status.PUBLISHED)
        attachment = files.attach(owner, "practice", practice, "evidence.txt", evidence)
        db.session.commit()
        file_path = f"/files/{attachment.id}/{attachment.name}"
    status, body = get(ports["A"], file_path)
    if status != 200 or body.encode() != evidence:
        raise SystemExit(f"a file attached on B is not served by A: {status}")
    step(f"a file attached through B served by A ({file_path})")

    for port in ports.values():
        wait_ready(port, time.monotonic() + 10)
    step("/readyz green on both nodes")

    # The login limit (10 per minute per client) is counted in Redis, so it holds across nodes:
    # alternating nodes, a per-node count would allow 20.
    import re
    with urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{ports['A']}/login",
            headers={"Host": HOST, "X-Forwarded-Proto": "https"}), timeout=5) as r:
        cookie = "; ".join(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or [])
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', r.read().decode()).group(1)
    statuses = []
    for n in range(12):
        port = ports["A" if n % 2 else "B"]
        data = urllib.parse.urlencode({"email": "ci-a@example.org", "password": "wrong",
                                       "csrf_token": token}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=data, method="POST",
                                     headers={"Host": HOST, "X-Forwarded-Proto": "https",
                                              "Cookie": cookie, "Referer": f"https://{HOST}/login"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                statuses.append(r.status)
        except urllib.error.HTTPError as err:
            statuses.append(err.code)
    step(f"12 sign-in attempts alternating A and B: statuses {statuses}")
    if 429 not in statuses[10:] or 429 in statuses[:10]:
        raise SystemExit("the login rate limit is not shared across nodes")

    failures, total, slowest, stop = [], [0], [0.0], threading.Event()

    def stream():
        while not stop.is_set():
            started = time.monotonic()
            try:
                # While the new workers import the app, requests wait in the listen queue (slow
                # on a loaded machine, never refused): a failure is an error status or a refusal.
                status, _ = get(ports["B"], "/", timeout=60)
                if status != 200:
                    failures.append(status)
            except OSError as err:
                failures.append(str(err))
            total[0] += 1
            slowest[0] = max(slowest[0], time.monotonic() - started)

    threads = [threading.Thread(target=stream) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    os.kill(web["B"].pid, signal.SIGHUP)
    time.sleep(6)
    stop.set()
    for t in threads:
        t.join()
    step(f"node B reloaded (HUP) during {total[0]} requests: {len(failures)} failed, "
         f"slowest {slowest[0]:.2f}s")
    if failures:
        raise SystemExit(f"failed requests during the reload: {failures[:5]}")

    workers["B"].terminate()
    workers["B"].wait(20)
    word = f"pump{uuid.uuid4().hex[:10]}"
    write("A", f"Solar {word}", "ci-a@example.org")
    time.sleep(2)
    if found(ports["B"], word):
        raise SystemExit("B found a write while its worker was stopped (no worker should apply it)")
    found(ports["A"], word) or time.sleep(1)
    step("B's search worker stopped; wrote on A; B does not find it yet")
    workers["B"] = start([str(BIN / "marketplace"), "search", "worker"], envs["B"], base / "worker-B.log")
    restarted = time.monotonic()
    while not found(ports["B"], word):
        if time.monotonic() - restarted > 60:
            raise SystemExit("B did not catch up after its worker restarted")
        time.sleep(0.1)
    step(f"B's worker restarted: caught up in {time.monotonic() - restarted:.2f}s")
    return 0


def cleanup() -> None:
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        code = main()
        print("two nodes: passed" if code == 0 else "two nodes: FAILED", flush=True)
    except SystemExit as err:
        print(f"two nodes: FAILED: {err}", flush=True)
        code = 1
    finally:
        cleanup()
    sys.exit(code)
