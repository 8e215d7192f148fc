"""The README's production recipe, followed as written on a fresh PostgreSQL database: step 4's
commands, then the two long-running processes of step 5 (gunicorn with deploy/gunicorn.conf.py,
in the background, and the search worker), until /readyz is green on every check."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace.settings import normalize_database_url
from tests.conftest import PG_URL
from tests.ops.test_deploy import _free_port
from tests.ops.test_doctor import template_env

pytestmark = pytest.mark.postgres_only
if not PG_URL:
    pytestmark = [pytestmark, pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _step(number: int) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    return section.split(f"**{number}. ", 1)[1].split("\n**", 1)[0]


def _commands(step: str, program: str) -> list[str]:
    """The lines of the step's shell blocks that run `program`, without their comments."""
    blocks = re.findall(r"```sh\n(.*?)```", step, re.DOTALL)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()
            if line.startswith(program + " ")]


@pytest.fixture
def fresh_database():
    url = make_url(normalize_database_url(PG_URL))
    fresh = url.set(database=f"{url.database}_recipe_{uuid.uuid4().hex[:6]}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{fresh.database}"'))
    yield fresh.set(drivername="postgresql").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{fresh.database}" WITH (FORCE)'))
    admin.dispose()


def _wait_ready(url: str, process, deadline: float) -> dict:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read())
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.5)


def test_the_production_recipe_as_written(tmp_path, fresh_database):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETPLACE_", "PROMETHEUS_"))}
    options = urlsplit(template_env()["MARKETPLACE_DATABASE_URL"]).query
    env |= template_env() | {
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "MARKETPLACE_SECRET_KEY": "k" + uuid.uuid4().hex + uuid.uuid4().hex,
        "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "instance"),
        "MARKETPLACE_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "MARKETPLACE_DATABASE_URL": f"{fresh_database}?{options}",
        "MARKETPLACE_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/6",
        "MARKETPLACE_NEW_USER_PASSWORD": "quartz-Meadow-lantern-77",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    step4 = _commands(_step(4), "marketplace")
    assert [c.split()[1] for c in step4] == ["db", "translations", "search", "create-user", "doctor"]
    assert not any("seed" in c for c in step4)
    outputs = {}
    for command in step4:
        done = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        outputs[command.split()[1]] = done.stdout
    assert "created user 1 <you@your-organization.org> roles: admin" in outputs["create-user"]
    assert "doctor: ready for production" in outputs["doctor"]

    (gunicorn_line,) = _commands(_step(5), "nohup gunicorn")
    port = _free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    gunicorn_line = gunicorn_line.replace("/var/lib/marketplace/", f"{tmp_path}/")
    worker = subprocess.Popen([str(BIN / "marketplace"), "search", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run(gunicorn_line, shell=True, cwd=ROOT, env=env, check=True, timeout=60)  # in the background
        ready = _wait_ready(f"http://127.0.0.1:{port}/readyz", worker, time.monotonic() + 120)
        assert ready["status"] == "ok", ready
        assert set(ready["checks"]) >= {"database", "redis", "search_index", "search_backlog", "email_backlog"}
        time.sleep(0.5)
        logged = [json.loads(line) for line in (tmp_path / "web.log").read_text().splitlines()
                  if line.startswith("{")]
        assert any(e["logger"] == "gunicorn.access" and "/readyz" in e["message"] and "request_id=" in e["message"]
                   for e in logged), logged[-3:]
    finally:
        worker.terminate()
        worker.wait(30)
        pid = tmp_path / "gunicorn.pid"
        if pid.exists():
            os.kill(int(pid.read_text()), 15)
            time.sleep(2)
