"""A CLI command's commits reach the index before the process exits (the drain thread is a
daemon; an atexit flush applies what it had not got to)."""

import os
import subprocess
import sys


def run_cli(tmp_path, *args):
    env = {**os.environ, "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "instance"),
           "MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
           "MARKETPLACE_NEW_USER_PASSWORD": "quartz-Meadow-lantern-77", "MARKETPLACE_SECRET_KEY": "x" * 40}
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", "from marketplace.cli import main; main()", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_commits_of_a_cli_command_are_indexed_when_it_exits(tmp_path):
    assert run_cli(tmp_path, "db", "upgrade").returncode == 0
    seeded = run_cli(tmp_path, "seed-demo")  # many commits, the last ones just before exit
    assert seeded.returncode == 0, seeded.stderr
    check = run_cli(tmp_path, "search", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "in sync" in check.stdout
