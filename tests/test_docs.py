"""The README's configuration table stays true: every setting the code has a default for or
reads, and every MARKETPLACE_* environment variable it reads, is documented."""

import re
from pathlib import Path

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
