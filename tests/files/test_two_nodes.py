"""Issue 16, acceptance 3: two app nodes (own instance folders, one PostgreSQL database, the S3
backend on a real S3-compatible server on loopback) serve the same files: uploaded through node
A, served by node B, whose own instance folder never holds it."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD, PG_URL
from tests.files import samples
from tests.fixtures.files import _free_port

pytestmark = pytest.mark.postgres_only
if not PG_URL:
    pytestmark = [pytestmark, pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def _node(name: str, base: Path, settings: dict) -> tuple[str, subprocess.Popen, Path]:
    port = _free_port()
    instance = base / name
    instance.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    env.update({f"MARKETPLACE_{k}": str(v) for k, v in settings.items()})
    env.update({"MARKETPLACE_INSTANCE_PATH": str(instance), "MARKETPLACE_NODE_NAME": name,
                "MARKETPLACE_DATABASE_URL": PG_URL, "MARKETPLACE_SECRET_KEY": "two-nodes-" + "k" * 40,
                "MARKETPLACE_SEARCH_INDEX_DIR": str(instance / "index"), "MARKETPLACE_LOG_FORMAT": "text",
                "MARKETPLACE_RATELIMIT_ENABLED": "false"})
    log = (base / f"{name}.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1",
                                "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return f"http://127.0.0.1:{port}", process, instance


def _wait(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"node did not start: {log.read_text()[-3000:]}")
        time.sleep(0.3)


def test_a_file_uploaded_through_node_a_is_served_by_node_b(app, make_user, make_practice, s3_bucket, tmp_path):
    owner = make_user(email="nodes@example.org")
    practice = make_practice(owner=owner, title="Shared across nodes")
    nodes = [_node(name, tmp_path, s3_bucket) for name in ("node-a", "node-b")]
    try:
        for (url, process, _), name in zip(nodes, ("node-a", "node-b"), strict=True):
            _wait(url, process, tmp_path / f"{name}.log")
        (a, _, a_instance), (b, _, b_instance) = nodes
        author = requests.Session()
        token = TOKEN.search(author.get(a + "/login").text).group(1)
        signed_in = author.post(a + "/login", data={"email": owner.email, "password": PASSWORD,
                                                    "csrf_token": token})
        assert "Sign out" in signed_in.text
        page = author.get(f"{a}/practices/{practice.slug}").text
        data = samples.pdf(["Evidence on two nodes"])
        uploaded = author.post(f"{a}/files/attach/practice/{practice.id}",
                               data={"csrf_token": TOKEN.search(page).group(1)},
                               files={"file": ("evidence.pdf", data, "application/pdf")})
        assert uploaded.status_code == 200 and "evidence.pdf is attached." in uploaded.text
        link = re.search(r'href="(/files/\d+/evidence\.pdf)"', uploaded.text).group(1)

        served = requests.get(b + link)  # a reader on the other node
        assert served.status_code == 200 and served.content == data
        assert served.headers["Content-Disposition"].startswith("attachment")
        assert not list(b_instance.rglob("files/**/*")) and not list(a_instance.rglob("files/**/*"))
    finally:
        for _, process, _ in nodes:
            process.terminate()
        for _, process, _ in nodes:
            process.wait(timeout=20)
