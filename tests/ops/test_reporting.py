"""Sentry is initialised only when a DSN is set (in a subprocess: its integrations are global)."""

import subprocess
import sys

SCRIPT = """
import sys, tempfile
import sentry_sdk
from marketplace import create_app
d = tempfile.mkdtemp()
create_app({"SECRET_KEY": "x" * 40, "INSTANCE_PATH": d, "SENTRY_DSN": sys.argv[1] or None})
print(sentry_sdk.get_client().dsn)
"""


def _dsn_after_start(dsn: str) -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT, dsn], capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout.strip().splitlines()[-1]


def test_sentry_reports_only_when_a_dsn_is_set():
    assert _dsn_after_start("https://public@127.0.0.1:9/1") == "https://public@127.0.0.1:9/1"
    assert _dsn_after_start("") == "None"
