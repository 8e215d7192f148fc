"""The hostile corpus and the walker's enumeration of what the app declares: every route of the
URL map, the query parameters its view reads (found with ast in the view's source, and from the
forms and spectree models it builds from the query string) and the fields of the forms it builds."""

import ast
import importlib
import inspect
import textwrap
from urllib.parse import quote

from wtforms.fields.core import UnboundField

from marketplace.gate import FlaskForm

HOSTILE = [
    "a\x00b", "x\x0by", "x\x85y", "\x1b[31m", "O" * 5000, "\u202egnp.exe", "\u200b\u200b\u200b", "😀🏳️‍🌈",
    "\ud800", "99999999999999999999", "-1", "1.5", "2024-02-30", "²", "title\r\nBcc: x@example.org",
    "שלום עולם", "0",
]
# Routes the walker does not call, with the reason.
EXEMPT = {
    "static": "files from disk, no input",
    "accounts.logout": "ends the walker's session",
    "accounts.delete_account": "deletes the walker",
}


def encode(pairs: list[tuple[str, str]]) -> str:
    """A query string or form body; lone surrogates are sent as the (invalid) UTF-8 a client could."""
    return "&".join(f"{quote(k, safe='', errors='surrogatepass')}={quote(v, safe='', errors='surrogatepass')}"
                    for k, v in pairs)


def form_fields(form_class) -> list[str]:
    return [name for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField)]


def _source_tree(view, depth: int = 1):
    """The view's syntax tree and the names it sees (its module's, plus its local imports); the
    module-level helpers it calls are walked too (`depth` levels), as forms are often built there."""
    view = inspect.unwrap(view)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(view)))
    except (OSError, TypeError):
        return None, {}
    names = dict(view.__globals__)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            names.update({a.asname or a.name: getattr(module, a.name, None) for a in node.names})
    helpers = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    for name in sorted(helpers) if depth else ():
        helper = names.get(name)
        if inspect.isfunction(helper) and helper.__module__ == view.__module__ and helper is not view:
            sub, sub_names = _source_tree(helper, depth - 1)
            if sub is not None:
                tree.body.extend(sub.body)
                names = {**sub_names, **names}
    return tree, names


def _is_request_args(node) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "args") or \
        (isinstance(node, ast.Name) and node.id == "args")


def query_params(view) -> set[str]:
    """Names a view reads from the query string: request.args.get("x"), request.args["x"],
    "x" in request.args, for-k-in-NAME comprehensions, forms built from request.args, page_arg()
    and a spectree query model."""
    tree, names = _source_tree(view)
    found = set()
    model = getattr(view, "query", None)
    if model is not None and hasattr(model, "model_fields"):
        found |= set(model.model_fields)
    if tree is None:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("get", "getlist") and _is_request_args(node.func.value) \
                and node.args and isinstance(node.args[0], ast.Constant):
            found.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and _is_request_args(node.value) and isinstance(node.slice, ast.Constant):
            found.add(node.slice.value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) \
                and any(_is_request_args(c) for c in node.comparators):
            found.add(node.left.value)
        elif isinstance(node, ast.comprehension) and isinstance(node.iter, ast.Name):
            values = names.get(node.iter.id)
            if isinstance(values, (list, tuple, set, frozenset, dict)) and all(isinstance(v, str) for v in values):
                found |= set(values)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "page_arg":
                found.add("page")
            form = names.get(node.func.id)
            if node.args and _is_request_args(node.args[0]) and inspect.isclass(form):
                found |= set(form_fields(form))
    return {name for name in found if isinstance(name, str)}


def posted_forms(view) -> list[type]:
    """The gate forms a view builds (by name in its source)."""
    tree, names = _source_tree(view)
    if tree is None:
        return []
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return [names[n] for n in sorted(called)
            if inspect.isclass(names.get(n)) and issubclass(names[n], FlaskForm)]


def all_form_classes() -> set[type]:
    seen, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen and sub.__module__.startswith("marketplace."):
                seen.add(sub)
            todo.append(sub)
    return seen
