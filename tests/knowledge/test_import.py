"""`marketplace import practices`: both corpus files, reported counts, idempotence."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.knowledge.models import Practice

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "marketplace" / "knowledge" / "mappings"


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=["import", "practices", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Practice))


@pytest.mark.corpus
@pytest.mark.parametrize("file, mapping, imported, skipped", [
    ("gds-service-manual/service_manual.jsonl", "gds-service-manual.json", 194, 10),
    ("participedia/methods_full_export.csv", "participedia-methods.json", 367, 6),
])
def test_corpus_imports_once(app, corpus_file, file, mapping, imported, skipped):
    path = corpus_file(file)
    out = _run(app, path, "--mapping", MAPPINGS / mapping)
    assert f"imported {imported}, skipped {skipped}" in out
    assert out.count("skipped (") == skipped
    assert _count() == imported
    practice = db.session.scalar(select(Practice).order_by(Practice.id))
    assert practice.is_published and practice.owner.display_name == "Imported content"
    assert practice.source_url.startswith("https://") and practice.approach_html
    again = _run(app, path, "--mapping", MAPPINGS / mapping)
    assert f"imported 0, skipped {imported + skipped}" in again
    assert again.count("(already imported)") == imported
    assert _count() == imported


def test_identity_mapping_csv_reports_each_bad_row(app, tmp_path):
    path = tmp_path / "practices.csv"
    path.write_text(
        "title,summary,approach,countries,themes,source_url\n"
        "Good one,Short,Do it,KE;BR,health,https://example.org/1\n"
        ",No title,Body,KE,health,https://example.org/2\n"
        "Bad country,x,Body,ZZ,health,https://example.org/3\n"
        "No url,x,Body,KE,health,\n"
        "Good one again,Short,Do it,KE,health,https://example.org/1\n", encoding="utf-8")
    out = _run(app, path)
    assert "imported 1, skipped 4" in out
    assert "row 2: skipped (missing title)" in out
    assert "row 3: skipped (invalid countries" in out
    assert "row 4: skipped (missing source URL)" in out
    assert "row 5: skipped (already imported)" in out
    practice = db.session.scalar(select(Practice))
    assert practice.country_codes == ["BR", "KE"] and practice.theme_slugs == ["health"]


def test_unknown_mapping_field_is_refused(app, tmp_path):
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"password": "x"}}))
    data = tmp_path / "d.csv"
    data.write_text("title\nx\n")
    result = app.test_cli_runner().invoke(args=["import", "practices", str(data),
                                                "--mapping", str(mapping)])
    assert result.exit_code != 0 and "unknown fields in mapping: password" in result.output


def test_the_import_account_is_named_in_the_readers_language(app, client):
    from marketplace.knowledge.importer import import_user

    with app.test_request_context():
        owner = import_user()
    db.session.commit()
    for lang, name in (("en", "Imported content"), ("fr", "Contenu importé"), ("es", "Contenido importado")):
        client.set_cookie("lang", lang)
        assert f"<h1>{name}</h1>" in client.get(f"/people/{owner.id}").get_data(as_text=True)


def test_import_rows_pass_the_input_gate(app, tmp_path):
    """Issue 11: controls are dropped, titles put on one line, bidi-override titles refused."""
    path = tmp_path / "practices.jsonl"
    rows = [{"title": "Water\u000b pumps\r\nin Kisumu", "summary": "Nul\u0000 here", "approach": "Do it",
             "countries": "KE", "themes": "health", "source_url": "https://example.org/1"},
            {"title": "\u202egnp.exe", "summary": "x", "approach": "Body", "countries": "KE", "themes": "health",
             "source_url": "https://example.org/2"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = _run(app, path, "--format", "jsonl") if "--format" in _help(app) else _run(app, path)
    assert "imported 1, skipped 1" in out and "row 2: skipped (invalid title:" in out
    practice = db.session.scalar(select(Practice))
    assert (practice.title, practice.summary) == ("Water pumps in Kisumu", "Nul here")


def _help(app) -> str:
    return app.test_cli_runner().invoke(args=["import", "practices", "--help"]).output
