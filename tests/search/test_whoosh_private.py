"""Every private Whoosh name search/ relies on exists in the installed Whoosh (whoosh-reloaded is
unmaintained upstream: an upgrade must say exactly what it broke), and none is used elsewhere."""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

from marketplace.search import whoosh_private
from marketplace.search.whoosh_private import PRIVATE_NAMES

SEARCH = Path(whoosh_private.__file__).parent


def resolve(owner: str):
    """A dotted module path, or a module path followed by (nested) class names."""
    parts = owner.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(owner)


def provides(obj, name: str) -> bool:
    """A module or class attribute, a keyword of the class's constructor, or an instance
    attribute that one of its (Whoosh) classes' methods assigns."""
    if hasattr(obj, name):
        return True
    if not inspect.isclass(obj):
        return False
    if name in inspect.signature(obj.__init__).parameters:
        return True
    assigned = re.compile(rf"\bself\.{re.escape(name)}\s*(=|,[^=\n]*=)")
    return any(assigned.search(inspect.getsource(cls))
               for cls in obj.__mro__ if cls.__module__.startswith("whoosh"))


@pytest.mark.parametrize(("owner", "name"), PRIVATE_NAMES, ids=[f"{o}.{n}" for o, n in PRIVATE_NAMES])
def test_each_private_name_exists_in_the_installed_whoosh(owner, name):
    try:
        obj = resolve(owner)
    except (ImportError, AttributeError) as err:
        pytest.fail(f"Whoosh no longer has {owner} (needed for {name}): {err}")
    assert provides(obj, name), (
        f"Whoosh's {owner} no longer has {name!r}: marketplace/search/whoosh_private.py uses it")


def test_the_check_would_catch_a_missing_name():
    assert not provides(resolve("whoosh.writing.SegmentWriter"), "_no_such_thing")
    with pytest.raises(ImportError):
        resolve("whoosh_no_such_module.Thing")


def private_whoosh_uses(path: Path) -> set[str]:
    """Private names imported from whoosh, and `._name` attribute reads not on our own objects."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            found |= {a.name for a in node.names if a.name.startswith("_")}
            if any(part.startswith("_") for part in node.module.split(".")):
                found.add(node.module)
        elif (isinstance(node, ast.Attribute) and node.attr.startswith("_")
              and not node.attr.startswith(("__", "_mp_"))
              and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
              and node.attr != "_get_current_object"):  # Flask's documented proxy accessor
            found.add(node.attr)
    return found


def test_no_other_module_of_search_uses_a_private_name_and_the_list_is_complete():
    for path in sorted(SEARCH.glob("*.py")):
        if path.name != "whoosh_private.py":
            used = private_whoosh_uses(path)
            assert not used, f"{path.name} uses private names {sorted(used)}: go through whoosh_private"
    undeclared = private_whoosh_uses(SEARCH / "whoosh_private.py") - {n for _o, n in PRIVATE_NAMES}
    assert not undeclared, f"whoosh_private uses {sorted(undeclared)} without listing them"
