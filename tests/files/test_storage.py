"""Issue 16: storage backends (local folder, S3-compatible on a real server on loopback) and
`marketplace files check` (acceptance 4)."""

import hashlib

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.files import storage
from marketplace.files.models import Attachment
from tests.files import samples


@pytest.fixture(params=["local", "s3"])
def store_app(request, app):
    """The test app with each backend in turn."""
    if request.param == "s3":
        app.config.update(request.getfixturevalue("s3_bucket"))
    app.extensions.pop("marketplace.files", None)
    return app


def _upload_one(client, auth, make_user, make_practice, upload, data=None, name="report.pdf"):
    owner = make_user()
    practice = make_practice(owner=owner)
    auth.login(owner.email)
    assert upload("practice", practice.id, data or samples.pdf(["Stored"]), name).status_code == 302
    return db.session.scalar(select(Attachment).where(Attachment.name == name))


def test_a_file_round_trips_through_each_backend(store_app, client, auth, make_user, make_practice, upload):
    data = samples.pdf(["Stored"])
    attachment = _upload_one(client, auth, make_user, make_practice, upload, data)
    store = storage.backend(store_app)
    assert attachment.blob_sha256 == hashlib.sha256(data).hexdigest()
    assert list(store.keys()) == [attachment.blob_sha256]
    assert client.get(f"/files/{attachment.id}/report.pdf").data == data
    if isinstance(store, storage.S3):
        listed = store.client.list_objects_v2(Bucket=store.bucket)["Contents"]
        assert [o["Key"] for o in listed] == [f"blobs/{attachment.blob_sha256}"]


def test_files_check_finds_a_deleted_blob_and_an_orphan(store_app, client, auth, make_user, make_practice, upload):
    attachment = _upload_one(client, auth, make_user, make_practice, upload)
    runner = store_app.test_cli_runner()
    clean = runner.invoke(args=["files", "check"])
    assert clean.exit_code == 0 and "0 missing, 0 orphaned" in clean.output

    store = storage.backend(store_app)
    store.delete(attachment.blob_sha256)
    orphan = b"left behind by a rolled-back upload"
    orphan_key = hashlib.sha256(orphan).hexdigest()
    store.put(orphan_key, orphan)

    found = runner.invoke(args=["files", "check"])
    assert found.exit_code == 1
    assert f"missing  {attachment.blob_sha256}  attachments {attachment.id}" in found.output
    assert f"orphaned {orphan_key}" in found.output and "1 missing, 1 orphaned" in found.output
    # A missing blob is a 404 for the reader (and an error in the log), never a 500.
    assert client.get(f"/files/{attachment.id}/report.pdf").status_code == 404

    removed = runner.invoke(args=["files", "check", "--delete-orphans"])
    assert "(deleted)" in removed.output and not store.exists(orphan_key)


def test_keys_are_digests_only(tmp_path):
    store = storage.Local(str(tmp_path))
    for bad in ("../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(ValueError):
            store.put(bad, b"x")
