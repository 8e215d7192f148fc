"""Issue 12: the admin upload page previews an import (first rows, skip reasons) and imports it
with the same service as `marketplace import`; bad files get a message, never a 500."""

import io
import json
import re

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import AuditEvent, Organization
from marketplace.extensions import db
from marketplace.knowledge.models import Practice
from tests.conftest import base_config, database_url

GOOD_CSV = (
    b"title,summary,approach,countries,themes,source_url\n"
    b"Water committees,Short,Villages run their pumps,KE,health,https://example.org/1\n"
    b",No title,Body,KE,health,https://example.org/2\n"
    b"Bad country,x,Body,ZZ,health,https://example.org/3\n"
)


@pytest.fixture
def admin(make_user, auth):
    make_user(email="root@example.org", roles=["admin"])
    auth.login("root@example.org")


def _upload(client, data: bytes, filename="practices.csv", kind="practices", mapping="", fmt=""):
    return client.post("/admin/import", data={
        "file": (io.BytesIO(data), filename), "kind": kind, "mapping": mapping, "format": fmt},
        content_type="multipart/form-data")


def _count(model=Practice) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_preview_then_import(client, admin):
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/import"' in page  # linked from the admin area
    response = _upload(client, GOOD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Of 3 rows: 1 to import, 2 to skip." in html
    assert "Water committees" in html and "Skipped: missing title" in html
    assert "Skipped: invalid countries: Choose countries from the list." in html
    assert _count() == 0  # a preview writes nothing
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', html).group(1)
    result = client.post("/admin/import/confirm", data={"upload": token})
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and "1 row imported, 2 skipped." in html
    assert _count() == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "content.imported"))
    assert event.detail["imported"] == 1 and event.detail["skipped"] == 2
    again = client.post("/admin/import/confirm", data={"upload": token}, follow_redirects=True)
    assert "This upload is no longer available" in again.get_data(as_text=True) and _count() == 1


def test_organizations_with_a_jsonl_file(client, admin):
    rows = [{"name": "Open Budget Kenya", "type": "ngo", "country": "Kenya",
             "source_url": "https://example.org/o/1", "description": "Budgets in the open."}]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    html = _upload(client, data, "orgs.jsonl", kind="organizations").get_data(as_text=True)
    assert "Of 1 row: 1 to import, 0 to skip." in html and "Open Budget Kenya" in html
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/admin/import/confirm", data={"upload": token})
    assert db.session.scalar(select(Organization.country)) == "KE"


@pytest.mark.parametrize("data, filename, kind, mapping, fmt, message", [
    (b"\xff\xfe\x00bad", "x.csv", "practices", "", "", "The file is not UTF-8 text."),
    (b'{"title": "x"}\nnot json\n', "x.jsonl", "practices", "", "", "Line 2 is not valid JSON."),
    (b"[1, 2]\n", "x.jsonl", "practices", "", "", "Line 1 is not a JSON object."),
    (b"", "x.csv", "practices", "", "", "The file is empty."),
    (b"title\n", "x.csv", "practices", "", "", "The file has no rows."),
    (GOOD_CSV, "x.csv", "organizations", "participedia-methods.json", "",
     "This mapping is for practices, not organizations."),
    (GOOD_CSV, "x.csv", "practices", "../../etc/passwd", "", "Not a valid choice."),
    (GOOD_CSV, "x.csv", "members", "", "", "Not a valid choice."),
])
def test_bad_files_get_a_message(client, admin, data, filename, kind, mapping, fmt, message):
    response = _upload(client, data, filename, kind, mapping, fmt)
    assert response.status_code in (400, 422)
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_a_file_over_the_size_limit_is_refused_with_a_message(app, client, admin):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            + b"title\n" + b"x" * (1024 * 1024 + 10) + b"\r\n--B--\r\n")  # bytes: no temp file
    response = client.post("/admin/import", data=body,
                           content_type="multipart/form-data; boundary=B")
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)


def test_an_upload_is_confirmed_by_the_admin_who_previewed_it(client, admin, make_user, auth):
    html = _upload(client, GOOD_CSV).get_data(as_text=True)
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', html).group(1)
    auth.logout()
    make_user(email="other-admin@example.org", roles=["admin"])
    auth.login("other-admin@example.org")
    response = client.post("/admin/import/confirm", data={"upload": token}, follow_redirects=True)
    assert "This upload is no longer available" in response.get_data(as_text=True)
    assert _count() == 0


def test_only_admins_may_import(client, make_user, auth):
    assert client.get("/admin/import").status_code in (302, 401)
    make_user(email="member@example.org")
    auth.login("member@example.org")
    assert client.get("/admin/import").status_code == 403
    assert _upload(client, GOOD_CSV).status_code == 403
    assert client.post("/admin/import/confirm", data={"upload": "x" * 32}).status_code == 403


class TestCsrf:
    @pytest.fixture
    def app_config(self, schema_template, tmp_path):
        return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path),
                           WTF_CSRF_ENABLED=True)

    def test_an_upload_without_the_token_is_refused(self, client, admin):
        response = _upload(client, GOOD_CSV)
        assert response.status_code == 400 and _count() == 0
