"""Issue 12: an admin uploads a small Participedia methods file (built at run time from the
corpus, never copied into the repository), sees the preview with a skip reason, and imports it."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, signed_in_page
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.corpus]


def _small_file(path) -> tuple[bytes, list[dict]]:
    """The header and four methods with a body, plus one without (skipped: empty body)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        fields = reader.fieldnames
    with_body = [r for r in rows if r["body"].strip()][:4]
    without = next(r for r in rows if not r["body"].strip())
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows([*with_body, without])
    return out.getvalue().encode("utf-8"), with_body


def test_admin_uploads_previews_and_imports(live_server, browser, corpus_file, tmp_path, axe_audit):
    from marketplace.accounts.models import Role, UserRole
    from marketplace.accounts.services import register_user
    from marketplace.extensions import db

    data, kept = _small_file(corpus_file("participedia/methods_full_export.csv"))
    upload = tmp_path / "methods-sample.csv"
    upload.write_bytes(data)
    with live_server.app.app_context():
        admin = register_user("root@example.org", "Ada Admin", PASSWORD, confirmed=True)
        admin.roles.append(UserRole(role=Role.ADMIN.value))
        db.session.commit()

    page = signed_in_page(browser, live_server, "root@example.org", PASSWORD)
    page.goto(live_server("/admin/users"))
    page.get_by_role("link", name="Import content").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import content")
    axe_audit(page, "import-upload")
    page.get_by_label("File (CSV or JSON Lines)").set_input_files(str(upload))
    page.get_by_label("What the file holds").select_option("practices")
    page.get_by_label("Column mapping").select_option("participedia-methods.json")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of the import")
    expect(page.locator(".import-summary")).to_have_text(
        "Of 5 rows: 4 to import, 1 to skip.")
    rows = page.locator(".import-preview tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text(kept[0]["title"])
    expect(rows.first).to_contain_text("English")
    expect(rows.nth(4)).to_contain_text("Skipped: empty body")
    axe_audit(page, "import-preview")
    screenshot(page, "en-import-preview")

    page.get_by_role("button", name="Import 4 rows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import finished")
    expect(page.locator(".import-summary")).to_have_text("4 rows imported, 1 skipped.")
    page.goto(live_server("/practices/"))
    expect(page.get_by_role("link", name=kept[0]["title"]).first).to_be_visible()
    assert page.console_errors == []
    page.context.close()
