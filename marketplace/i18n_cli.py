"""Translation tooling: `marketplace translations check | export-missing | apply`.

Everything works against a FRESH extraction of the source (babel.cfg rules), so a message
added to the code but never extracted counts as missing, just like an empty or fuzzy one.
"""

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "marketplace" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
LOCALES = ("fr", "es")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
WIDTH = 76  # pybabel's default, so files written here and by pybabel look the same


@dataclass(frozen=True)
class Problem:
    locale: str
    key: str  # the msgid (singular for plurals), prefixed by "context\x04" when there is one
    kind: str  # "missing" | "empty" | "fuzzy" | "invalid"
    detail: str = ""


def message_key(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return f"{message.context}\x04{msgid}" if message.context else msgid


def extract(root: Path = ROOT) -> Catalog:
    """The message template, freshly extracted from the source with the babel.cfg rules."""
    with open(root / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(root / "babel.cfg"))
    catalog = Catalog(project="marketplace", charset="utf-8", fuzzy=False)
    for filename, lineno, msgid, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, directory_filter=_wanted_directory
    ):
        catalog.add(msgid, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _wanted_directory(dirpath: str) -> bool:
    """Babel's default filter also skips folders starting with "_", which would drop
    templates/_macros and templates/_partials; skip only hidden folders and caches."""
    name = Path(dirpath).name
    return not name.startswith(".") and name != "__pycache__"


def _read(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def _write(path: Path, catalog: Catalog) -> None:
    with open(path, "wb") as f:
        write_po(f, catalog, width=WIDTH)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def check(template: Catalog | None = None, catalogs: dict[str, Catalog] | None = None) -> list[Problem]:
    """Every message of the template (default: a fresh extraction) that a locale's catalog
    (default: the .po files) lacks, leaves empty, marks fuzzy or translates with broken
    placeholders."""
    template = template if template is not None else extract()
    if catalogs is None:
        catalogs = {loc: _read(po_path(loc), loc) if po_path(loc).exists() else Catalog(locale=loc)
                    for loc in LOCALES}
    problems = []
    for locale, catalog in catalogs.items():
        invalid = {message_key(m): "; ".join(map(str, errors)) for m, errors in catalog.check()}
        for wanted in template:
            if not wanted.id:
                continue
            key = message_key(wanted)
            found = catalog.get(wanted.id, context=wanted.context)
            if found is None:
                problems.append(Problem(locale, key, "missing"))
            elif not _translated(found):
                problems.append(Problem(locale, key, "empty"))
            elif found.fuzzy:
                problems.append(Problem(locale, key, "fuzzy"))
            elif detail := invalid.get(key) or _lost_placeholders(found):
                problems.append(Problem(locale, key, "invalid", detail))
    return problems


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PYTHON_FORMAT.finditer(text)} - {"%%"}


def _lost_placeholders(message: Message) -> str:
    """Placeholders of a (singular) message that its translation drops. Babel's own check
    accepts a dropped placeholder; a dropped %(name)s hides information from the reader."""
    if isinstance(message.id, (list, tuple)) or "python-format" not in message.flags:
        return ""
    lost = sorted(_placeholders(message.id) - _placeholders(message.string))  # type: ignore[arg-type]
    return "placeholders lost: " + ", ".join(lost) if lost else ""


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(s for s in strings)


def export_missing(path: Path, template: Catalog) -> dict[str, dict]:
    """Write {"fr": {msgid: ""}, "es": {...}} with every message check() reports for the
    template, for a translator; plural messages get a list with one entry per plural form."""
    messages = {message_key(m): m for m in template if m.id}
    out: dict[str, dict] = {locale: {} for locale in LOCALES}
    for problem in check(template):
        message = messages[problem.key]
        if isinstance(message.id, (list, tuple)):
            forms = Catalog(locale=problem.locale).num_plurals
            out[problem.locale][problem.key] = [""] * forms
        else:
            out[problem.locale][problem.key] = ""
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out


def update() -> Catalog:
    """pybabel extract + update -N: write the template and merge it into every locale."""
    template = extract()
    template.creation_date = datetime.now(UTC)
    _write(TEMPLATE, template)
    for locale in LOCALES:
        path = po_path(locale)
        if path.exists():
            catalog = _read(path, locale)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, project="marketplace", charset="utf-8", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        _write(path, catalog)
    return template


def apply(translations: dict[str, dict]) -> dict[str, int]:
    """Extract, update, fill the given translations (clearing their fuzzy flag), compile."""
    update()
    filled = {}
    for locale, entries in translations.items():
        if locale not in LOCALES:
            raise click.ClickException(f"unknown locale {locale!r}; expected one of {LOCALES}")
        path = po_path(locale)
        catalog = _read(path, locale)
        by_key = {message_key(m): m for m in catalog if m.id}
        count = 0
        for key, value in entries.items():
            message = by_key.get(key)
            if message is None:
                raise click.ClickException(f"{locale}: no such message in the source: {key!r}")
            if not value or (isinstance(value, list) and not all(value)):
                continue
            if isinstance(message.id, (list, tuple)) != isinstance(value, list):
                raise click.ClickException(f"{locale}: {key!r}: give a list exactly for plural messages")
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
            count += 1
        _write(path, catalog)
        filled[locale] = count
    compile_catalogs()
    return filled


def compile_catalogs() -> None:
    for locale in LOCALES:
        path = po_path(locale)
        catalog = _read(path, locale)
        with open(path.with_suffix(".mo"), "wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


def format_problems(problems: list[Problem]) -> str:
    lines = []
    for p in problems:
        shown = p.key.replace("\x04", " | ")
        lines.append(f"{p.locale}\t{p.kind}\t{shown}" + (f"\t({p.detail})" if p.detail else ""))
    return "\n".join(lines)


translations = click.Group("translations", help="Check, export and apply French and Spanish translations.")


@translations.command("check")
def check_command() -> None:
    """Exit 1 listing every message missing, empty, fuzzy or invalid in fr or es."""
    problems = check()
    if problems:
        click.echo(format_problems(problems))
        counts = {loc: sum(p.locale == loc for p in problems) for loc in LOCALES}
        click.echo("untranslated: " + ", ".join(f"{loc} {n}" for loc, n in counts.items()), err=True)
        sys.exit(1)
    click.echo(f"translations complete: {', '.join(LOCALES)}")


@translations.command("export-missing")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_missing_command(file: Path) -> None:
    """Write FILE.json with every untranslated message: {"fr": {msgid: ""}, "es": {...}}."""
    out = export_missing(file, extract())
    click.echo(f"wrote {file}: " + ", ".join(f"{loc} {len(v)}" for loc, v in out.items()))


@translations.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def apply_command(file: Path) -> None:
    """Extract + update the catalogs, fill the translations in FILE.json, compile."""
    filled = apply(json.loads(file.read_text(encoding="utf-8")))
    left = check()
    click.echo("filled: " + ", ".join(f"{loc} {n}" for loc, n in filled.items())
               + f"; still untranslated: {len(left)}")


@translations.command("update")
def update_command() -> None:
    """Extract the messages and merge them into the fr and es catalogs (no fuzzy matching)."""
    template = update()
    click.echo(f"extracted {sum(1 for m in template if m.id)} messages; catalogs updated")


@translations.command("compile")
def compile_command() -> None:
    """Compile the .po catalogs into .mo files (fuzzy entries left out)."""
    compile_catalogs()
    click.echo("compiled: " + ", ".join(LOCALES))


if __name__ == "__main__":
    translations(prog_name="python -m marketplace.i18n_cli")
