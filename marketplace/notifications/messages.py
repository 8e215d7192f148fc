"""A notification's message kept as its source (msgid and parameters, as JSON), rendered when read.

notify() receives lazy strings (`_l("%(name)s posted in “%(title)s”", name=..., title=...)`); their
function, msgid and parameters are stored, so the in-app list, the digest and mail render them in
the reader's language of the moment, with that locale's formats (money, dates). Parameters may be
lazy strings themselves (a label, an amount formatted by `format_minor`) and dates. Anything else
is stored as its text; a source that cannot be stored or read back falls back to the stored text.
"""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import format_date, format_datetime, gettext, ngettext, npgettext, pgettext
from flask_babel.speaklater import LazyString

from marketplace.ledger.money import format_minor

# The functions a stored message may call: nothing else is ever looked up by name.
FUNCTIONS = {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext,
             "npgettext": npgettext, "format_minor": format_minor}
_NAMES = {func: name for name, func in FUNCTIONS.items()}


class Unstorable(ValueError):
    """A lazy string built by a function outside FUNCTIONS."""


def source_of(message) -> dict | None:
    """The JSON source of a lazy message, or None for plain text (or an unknown function)."""
    if not isinstance(message, LazyString):
        return None
    try:
        return _dump(message)
    except Unstorable:
        return None


def _dump(value):
    if isinstance(value, LazyString):
        name = _NAMES.get(value._func) or _babel_name(value._func)
        return {"$call": name, "args": [_dump(a) for a in value._args],
                "kwargs": {k: _dump(v) for k, v in value._kwargs.items()}}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _babel_name(func) -> str:
    """Flask-Babel's bound `Babel.gettext` & co. are the same functions under another owner."""
    name = getattr(func, "__name__", "")
    if name in FUNCTIONS and getattr(func, "__module__", "").startswith("flask_babel"):
        return name
    raise Unstorable(repr(func))


def render(source: dict | None, fallback: str) -> str:
    """The message in the current locale; `fallback` (the stored text) for old rows or a source
    that no longer renders (a msgid whose parameters changed)."""
    if not source:
        return fallback
    try:
        return str(_load(source))
    except (KeyError, TypeError, ValueError):
        return fallback


def _load(value):
    if isinstance(value, dict):
        if "$call" in value:
            func = FUNCTIONS[value["$call"]]
            return func(*[_load(a) for a in value["args"]],
                        **{k: _load(v) for k, v in value["kwargs"].items()})
        if "$datetime" in value:
            return format_datetime(datetime.fromisoformat(value["$datetime"]), "medium")
        if "$date" in value:
            return format_date(date.fromisoformat(value["$date"]), "medium")
        raise ValueError("unknown stored value")
    return value
