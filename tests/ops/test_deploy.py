"""deploy/ as shipped: the units run real commands, the docs name real files, and gunicorn with
deploy/gunicorn.conf.py serves, sums metrics over its workers, logs request ids and reloads
gracefully (HUP) without failing a request."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
from flask.cli import FlaskGroup

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_units_run_real_commands():
    cli = FlaskGroup(create_app=create_app)
    found = 0
    for unit in (DEPLOY / "systemd").glob("*.service"):
        for command in re.findall(r"^ExecStart=\S+/marketplace (.+)$", unit.read_text(), re.MULTILINE):
            group, sub, *_ = command.split()
            with click.Context(cli) as ctx:
                assert cli.get_command(ctx, group).get_command(ctx, sub) is not None, command
            found += 1
        assert "EnvironmentFile=/etc/marketplace/marketplace.env" in unit.read_text()
    assert found == 2  # the search worker, the jobs
    assert "deploy/gunicorn.conf.py wsgi:app" in (DEPLOY / "systemd" / "marketplace-web.service").read_text()


def test_the_docs_name_files_that_exist():
    for doc in (ROOT / "README.md", ROOT / "docs" / "operations.md"):
        for path in set(re.findall(r"\bdeploy/[\w./*-]*[\w*]", doc.read_text())):
            assert list(ROOT.glob(path)), f"{doc.name} names {path}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None, timeout: float = 10):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as r:
        return r.status, dict(r.headers), r.read().decode()


@pytest.fixture
def gunicorn(tmp_path):
    database = tmp_path / "db.sqlite3"
    app = create_app(base_config(tmp_path, DATABASE_URL=f"sqlite:///{database}"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETPLACE_", "PROMETHEUS_"))} | {
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "instance"),
        "MARKETPLACE_DATABASE_URL": f"sqlite:///{database}",
        "MARKETPLACE_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "MARKETPLACE_SECRET_KEY": "deploy-test-secret-key-0123456789abcdef",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "deploy/gunicorn.conf.py",
                                "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            _get(base + "/healthz")
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.5)
    yield base, process, tmp_path / "gunicorn.log"
    process.terminate()
    process.wait(60)
    log.close()


def _series(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_gunicorn_with_the_deploy_config(gunicorn):
    base, process, log = gunicorn
    healthz = 'marketplace_requests_total{endpoint="ops.healthz",status="200"}'
    before = _series(_get(base + "/metrics")[2], healthz)
    ids = [_get(base + "/healthz")[1]["X-Request-ID"] for _ in range(20)]
    assert len(set(ids)) == 20
    # Each answer is counted by whichever worker served it; a scrape of any worker sums them all.
    assert _series(_get(base + "/metrics")[2], healthz) == before + 20
    assert len(list((log.parent / "metrics").glob("*.db"))) >= 1
    time.sleep(0.5)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line["message"] for line in lines if line["logger"] == "gunicorn.access"]
    assert any(f"request_id={ids[-1]}" in message for message in access), access[-3:]


def test_graceful_reload_drops_no_request(gunicorn):
    base, process, _log = gunicorn
    results = {"ok": 0, "failed": [], "slowest": 0.0}
    stop = threading.Event()

    def traffic():
        while not stop.is_set():
            started = time.monotonic()
            try:
                # While the new workers import the app, requests wait in the listen queue: slow, not lost.
                status = _get(base + "/healthz", timeout=45)[0]
            except (OSError, urllib.error.HTTPError) as err:
                results["failed"].append(repr(err))
                continue
            results["slowest"] = max(results["slowest"], time.monotonic() - started)
            if status == 200:
                results["ok"] += 1
            else:
                results["failed"].append(status)

    clients = [threading.Thread(target=traffic) for _ in range(4)]
    for c in clients:
        c.start()
    time.sleep(1)
    process.send_signal(signal.SIGHUP)
    time.sleep(8)  # the old workers finish, the new ones import the app and serve
    stop.set()
    for c in clients:
        c.join(60)
    print(f"graceful reload under load: {results['ok']} requests answered, {len(results['failed'])} failed, "
          f"slowest {results['slowest']:.1f}s")
    assert results["failed"] == [] and results["ok"] > 20
