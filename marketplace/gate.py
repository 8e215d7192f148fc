"""The input gate: every form, query string, JSON body and import row passes these rules once.

- NUL, C0 and C1 control characters are refused (tab and line breaks only in multi-line text);
- text is normalised to Unicode NFC; lone surrogates are refused;
- single-line text (titles, names, any one-line field) refuses line breaks, bidi overrides and
  text made only of invisible characters;
- integers are bounded to a database INTEGER before they reach a query;
- JSON bodies are at most MAX_JSON_DEPTH deep (json.loads recurses: 1,000 levels crash it).

`init_app` checks every request's query string, form body and JSON body; `FlaskForm` (use it
instead of flask_wtf's, a test enforces it) adds the per-field rules; `clean_row` serves imports.
"""

import json
import math
import re
import unicodedata
from collections.abc import Callable

import flask_wtf
import wtforms
from flask import Flask, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import UnprocessableEntity
from wtforms import fields
from wtforms.validators import DataRequired, InputRequired, StopValidation

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
FLOAT_LIMIT = 1e15
MAX_JSON_DEPTH = 32
# Free-text query parameters (a number typed into search is text); `page` is clamped by web.page_arg,
# and so is the page of one list among several on a page (`flags_page`: see _unbounded).
UNBOUNDED_PARAMS = frozenset({"q", "page"})
# JSON keys holding one-line text (titles, names): the single-line rules apply to them.
SINGLE_LINE_KEYS = frozenset({"title", "name", "display_name", "topic", "subject", "tag", "label"})

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all C0/C1 but \t \n \r
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
_BIDI_OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)


def text_problem(value: str, multiline: bool = True) -> str | None:
    """Why this text is refused (translated), or None when it may be stored."""
    if _SURROGATES.search(value):
        return _("This text is not valid Unicode.")
    if _CONTROLS.search(value):
        return _("Remove the control characters (such as NUL) from this text.")
    if multiline:
        return None
    if _LINE_BREAKS.search(value):
        return _("This field must be a single line: remove the line breaks and tabs.")
    if _BIDI_OVERRIDES.search(value):
        return _("Remove the text-direction override characters from this text.")
    if value and not visible(value):
        return _("Write some visible text: this is only spaces or invisible characters.")
    return None


def visible(value: str) -> bool:
    """True when the text has a character that shows (not only spaces or zero-width marks)."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc", "Zs", "Mn") for c in value)


def normalize(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def xml_text(value: str | None) -> str | None:
    """Text that XML 1.0 can hold: rows stored before the gate may still carry controls."""
    return _XML_INVALID.sub("", value) if isinstance(value, str) else value


def bounded_int(value) -> int | None:
    """An ASCII whole number that fits an INTEGER column, else None ('²'.isdigit() is true!)."""
    text = str(value or "").strip()
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if INT_MIN <= number <= INT_MAX else None


class InputRejected(UnprocessableEntity):
    """422 naming the field (400 for a body that is not acceptable JSON at all); errorpages renders
    it, as problem+json with per-field `errors` for the API."""

    def __init__(self, field: str, message: str, code: int = 422):
        super().__init__(_("%(field)s: %(message)s", field=field[:60], message=message))
        self.code = code
        self.errors = [{"field": field[:60], "message": message}]


# --- the request gate ----------------------------------------------------------------------

def init_app(app: Flask) -> None:
    app.before_request(check_request)


# Endpoints whose bodies may exceed MAX_CONTENT_LENGTH (uploads): endpoint -> limit in bytes.
LARGE_BODIES: dict[str, Callable[[], int]] = {}


def allow_large_body(endpoint: str, limit: Callable[[], int]) -> None:
    """Let `endpoint` take request bodies up to `limit()` bytes (filled by the files package)."""
    LARGE_BODIES[endpoint] = limit


def check_request() -> None:
    if request.endpoint in LARGE_BODIES:
        request.max_content_length = LARGE_BODIES[request.endpoint]()
    request.args = _checked(request.args, multiline=False, bound_ints=True,  # type: ignore[arg-type]
                            blank_invisible=True)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        request.form = _checked(request.form, multiline=True, bound_ints=False)
    elif request.is_json and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        _check_json()  # chunked bodies too: no Content-Length is no exemption


def _checked(values: ImmutableMultiDict, multiline: bool, bound_ints: bool,
             blank_invisible: bool = False) -> ImmutableMultiDict:
    """The same values in NFC, or InputRejected for the first one that breaks a rule. With
    `blank_invisible` (query strings), a value of only spaces or invisible characters is empty:
    a stray space typed in a search box is no search, not an error."""
    if blank_invisible and any(map(_blank, values.values())):
        values = ImmutableMultiDict([(k, "" if _blank(v) else v) for k, v in values.items(multi=True)])
    for key, value in values.items(multi=True):
        problem = text_problem(key, multiline=False) or text_problem(value, multiline)
        if problem:
            raise InputRejected(_printable(key), problem)
        if bound_ints and not _unbounded(key) and _INTEGER.fullmatch(value.strip()) \
                and bounded_int(value) is None:
            raise InputRejected(key, _("Enter a whole number between %(min)s and %(max)s.",
                                       min=INT_MIN, max=INT_MAX))
    return ImmutableMultiDict([(normalize(k), normalize(v)) for k, v in values.items(multi=True)])


def _blank(value: str) -> bool:
    """Only spaces or invisible characters (no control character, no line break)."""
    return bool(value) and not visible(value) and not _CONTROLS.search(value) \
        and not _LINE_BREAKS.search(value)


def _unbounded(key: str) -> bool:
    """A query parameter whose whole number may be any size: UNBOUNDED_PARAMS and a list's own
    page number (`flags_page`, `log_page`; not `per_page`), which web.page_arg clamps."""
    return key in UNBOUNDED_PARAMS or (key.endswith("_page") and key != "per_page")


def _printable(key: str) -> str:
    return _CONTROLS.sub("?", _SURROGATES.sub("?", key))


def _check_json() -> None:
    raw = request.get_data(cache=True)
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise InputRejected("body", _("The JSON body is nested too deeply (at most %(n)s levels).",
                                      n=MAX_JSON_DEPTH), code=400)
    try:
        data = json.loads(raw)
    except ValueError:
        return  # Flask answers malformed JSON with its own 400
    data = clean_json(data)
    request._cached_json = (data, data)


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, without parsing it (no recursion)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 1  # cannot nest deeper than the limit: skip the byte walk
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def clean_json(value, key: str = "body"):
    """The JSON value with every string in NFC, or InputRejected naming the offending key."""
    if isinstance(value, str):
        problem = text_problem(value, multiline=key not in SINGLE_LINE_KEYS)
        if problem:
            raise InputRejected(key, problem)
        return normalize(value)
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise InputRejected(key, _("This number is too large."))
    if isinstance(value, float) and not math.isfinite(value):
        raise InputRejected(key, _("This number is too large."))
    if isinstance(value, list):
        return [clean_json(item, key) for item in value]
    if isinstance(value, dict):
        for name in value:
            problem = text_problem(name, multiline=False)
            if problem:
                raise InputRejected(_printable(name), problem)
        return {normalize(k): clean_json(v, k) for k, v in value.items()}
    return value


# --- imports -------------------------------------------------------------------------------

def clean_row(row: dict, single_line: tuple[str, ...] = ()) -> dict:
    """An import row's text cells cleaned rather than refused (a corpus is not a person to ask):
    controls dropped, single-line cells on one line, NFC; ValueError naming a cell still refused
    (lone surrogates, bidi overrides or only invisible characters in a single-line cell)."""
    cleaned = {}
    for key, value in row.items():
        if isinstance(value, str):
            value = normalize(_CONTROLS.sub("", value))
            if key in single_line:
                value = " ".join(value.split())
            problem = text_problem(value, multiline=key not in single_line)
            if problem:
                raise ValueError(f"{key}: {problem}")
        cleaned[key] = value
    return cleaned


# --- forms ---------------------------------------------------------------------------------

class _TextRule:
    """The gate's text rules as the first validator of a text field."""

    def __init__(self, multiline: bool):
        self.multiline = multiline

    def __call__(self, form, field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        for value in values:
            problem = isinstance(value, str) and text_problem(value, self.multiline)
            if problem:
                raise StopValidation(problem)


def number_problem(value: float) -> LazyString | None:
    """Why a decimal number may not be stored (not finite, or beyond ±FLOAT_LIMIT, past which a
    float no longer holds every whole number and formatting it fails), or None."""
    if math.isfinite(value) and abs(value) <= FLOAT_LIMIT:
        return None
    return _l("Enter a number between %(min)s and %(max)s.", min=LazyString(format_decimal, -int(FLOAT_LIMIT)),
              max=LazyString(format_decimal, int(FLOAT_LIMIT)))


class _NumberRule:
    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        if isinstance(field, fields.IntegerField) and not INT_MIN <= value <= INT_MAX:
            raise StopValidation(_l("Enter a whole number between %(min)s and %(max)s.",
                                    min=INT_MIN, max=INT_MAX))
        problem = number_problem(value) if isinstance(value, float) else None
        if problem:
            raise StopValidation(problem)


_PARSED = (fields.DateField, fields.DateTimeField, fields.IntegerField, fields.FloatField,
           fields.DecimalField)


def _gate_field(field) -> None:
    """Add the gate's filters and validators to one bound field (never to the shared lists)."""
    rules = []
    if isinstance(field, (fields.PasswordField, fields.TextAreaField, fields.HiddenField)):
        # passwords: any existing one must still sign in; hidden fields are echoed, not typed
        rules.append(_TextRule(multiline=True))
    elif isinstance(field, (fields.StringField, fields.SelectMultipleField, fields.SelectField)):
        rules.append(_TextRule(multiline=False))
    if isinstance(field, (fields.StringField, fields.SelectField, fields.SelectMultipleField)) \
            and not isinstance(field, fields.PasswordField):
        field.filters = (normalize, *field.filters)
    if isinstance(field, _PARSED):
        rules.append(_NumberRule())  # type: ignore[arg-type]
        # DataRequired would erase "Not a valid date value." with "This field is required."
        field.validators = [InputRequired(v.message) if type(v) is DataRequired else v for v in field.validators]
    field.validators = [*rules, *field.validators]


class GateMeta:
    """A WTForms Meta mixin: every field bound to the form passes the gate."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        _gate_field(field)
        return field


class FlaskForm(flask_wtf.FlaskForm):
    """flask_wtf's FlaskForm with the input gate: the only form base the app uses."""

    class Meta(GateMeta, flask_wtf.FlaskForm.Meta):
        pass


class Form(wtforms.Form):
    """A sub-form (FormField rows) with the input gate."""

    class Meta(GateMeta, wtforms.Form.Meta):
        pass
