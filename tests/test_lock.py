"""requirements.lock (what `make install` installs) pins every dependency pyproject.toml names,
at the same version: run `make lock` after changing a dependency."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~! ]", requirement, maxsplit=1)[0]).lower()


def test_lock_pins_every_pyproject_dependency_at_its_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r): r.split("==", 1)[1] for r in
              project["dependencies"] + project["optional-dependencies"]["dev"]}
    locked = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            pin = line.split("#", 1)[0].split(";", 1)[0].strip().rstrip("\\").strip()
            locked[_name(pin)] = pin.split("==", 1)[1]
    assert len(locked) > len(wanted)  # the transitive dependencies too
    stale = {name: (version, locked.get(name)) for name, version in wanted.items()
             if locked.get(name) != version}
    assert stale == {}, "requirements.lock is stale (pyproject pin, lock pin); run `make lock`"
