"""The README's configuration table stays true: every setting the code has a default for or
reads, and every MARKETPLACE_* environment variable it reads, is documented."""

import re
from pathlib import Path

import pytest

from marketplace.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
SETTING = re.compile(r"""(?:config(?:\.get\(|\[)|_cfg\()\s*["']([A-Z][A-Z0-9_]+)["']""")
ENVIRON = re.compile(r"""["']MARKETPLACE_([A-Z0-9_]+)["']""")


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`MARKETPLACE_([A-Z0-9_]+)`", readme))
    used = set(DEFAULTS)
    for path in (ROOT / "marketplace").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= set(SETTING.findall(source)) | set(ENVIRON.findall(source))
    missing = sorted(used - documented)
    assert not missing, "add to the README configuration table: " + ", ".join(f"MARKETPLACE_{k}" for k in missing)


def test_readme_commands_exist():
    """Every `marketplace <command> [<subcommand>]` the README names is a real command."""
    import click
    from flask.cli import FlaskGroup

    from marketplace import create_app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cli = FlaskGroup(create_app=create_app)
    code = "\n".join(re.findall(r"```.*?```|`[^`\n]+`", readme, re.DOTALL))
    named = set(re.findall(r"\bmarketplace ([a-z][a-z-]+)(?: ([a-z][a-z-]+))?", code))
    assert ("notifications", "send-digests") in named and ("search", "worker") in named
    with click.Context(cli) as ctx:
        for group_name, sub in sorted(named):
            group = cli.get_command(ctx, group_name)
            assert group is not None, f"marketplace {group_name}"
            if sub and isinstance(group, click.Group):
                assert group.get_command(ctx, sub) is not None, f"marketplace {group_name} {sub}"


def test_readme_production_recipe_runs_from_a_checkout():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    assert "pip install -e ." in recipe and "export MARKETPLACE_INSTANCE_PATH=" in recipe
    assert not re.search(r"^pip install \.(\s|$)", recipe, re.MULTILINE)


def test_make_run_reads_the_demo_password_from_the_instance_path(tmp_path):
    import os
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {**os.environ, "MARKETPLACE_INSTANCE_PATH": str(tmp_path)}
    env.pop("MARKETPLACE_DEMO_PASSWORD", None)
    dry_run = subprocess.run(["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout
    (line,) = [line for line in dry_run.splitlines() if "demo-password.txt" in line]
    assert f"{tmp_path}/demo-password.txt" in line and "'instance/" not in line
