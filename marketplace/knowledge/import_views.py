"""The admin upload page: a CSV or JSON Lines file, what it holds and its mapping, a preview of
the first rows and of every skip reason, then the import. The same service as
`marketplace import …` (`knowledge.importer`); the file waits in the instance folder between
the preview and the confirmation (a day at most)."""

import json
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.accounts.permissions import can_import_content
from marketplace.accounts.services import record_audit
from marketplace.extensions import db
from marketplace.knowledge import importer
from marketplace.knowledge.forms import IMPORT_KIND_LABELS, ImportConfirmForm, ImportUploadForm
from marketplace.web import client_ip, require

bp = Blueprint("imports", __name__, url_prefix="/admin/import")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
KEEP_SECONDS = 24 * 3600
TEMPLATE = "imports/upload.html"


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _upload_form(**kwargs) -> ImportUploadForm:
    return ImportUploadForm(mappings=tuple(importer.shipped_mappings()), **kwargs)


def _mapping(kind: str, name: str) -> dict:
    if not name:
        return importer.identity_mapping(kind)
    shipped = importer.shipped_mappings()
    if name not in shipped:
        raise importer.ImportFileError(_("Choose a mapping from the list."))
    return importer.check_mapping(shipped[name], kind)


def _read(kind: str, mapping_name: str, fmt: str, filename: str, data: bytes):
    if not data.strip():
        raise importer.ImportFileError(_("The file is empty."))
    mapping = _mapping(kind, mapping_name)
    fmt = fmt or importer.guess_format(filename, mapping)
    rows = importer.parse_rows(data, fmt)
    if not rows:
        raise importer.ImportFileError(_("The file has no rows."))
    return mapping, rows


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    form = _upload_form(formdata=None)  # the request body is what is too large: not read
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    form.file.errors = [_("The file is larger than %(size)d MB: import it with "
                          "`marketplace import` instead.", size=limit)]
    return render_template(TEMPLATE, form=form), 413


@bp.route("", methods=["GET", "POST"])
@login_required
def upload():
    require(can_import_content(current_user))
    form = _upload_form()
    if not form.validate_on_submit():
        return render_template(TEMPLATE, form=form), 400 if form.errors else 200
    upload_file = form.file.data
    filename = Path(upload_file.filename or "upload").name[:200]
    data = upload_file.read()
    try:
        mapping, rows = _read(form.kind.data, form.mapping.data, form.format.data, filename, data)
    except importer.ImportFileError as err:
        form.file.errors = [str(err)]
        return render_template(TEMPLATE, form=form), 422
    report = importer.check_rows(rows, mapping, form.kind.data)
    folder = _folder()
    _forget_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.data").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({
        "kind": form.kind.data, "mapping": form.mapping.data, "format": form.format.data,
        "filename": filename, "user": current_user.id}), encoding="utf-8")
    return render_template("imports/preview.html", report=report, filename=filename,
                           kind_label=IMPORT_KIND_LABELS[form.kind.data],
                           mapping=form.mapping.data,
                           form=ImportConfirmForm(upload=token))


@bp.route("/confirm", methods=["POST"])
@login_required
def confirm():
    require(can_import_content(current_user))
    form = ImportConfirmForm()
    token = form.upload.data or ""
    folder = _folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.data"
    if not form.validate_on_submit() or not TOKEN.match(token) or not meta_path.is_file():
        flash(_("This upload is no longer available: upload the file again."), "error")
        return redirect(url_for(".upload"))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("user") != current_user.id:  # another admin's upload: theirs to confirm
        flash(_("This upload is no longer available: upload the file again."), "error")
        return redirect(url_for(".upload"))
    data = data_path.read_bytes()
    meta_path.unlink(missing_ok=True)
    data_path.unlink(missing_ok=True)
    try:
        mapping, rows = _read(meta["kind"], meta["mapping"], meta["format"], meta["filename"], data)
    except importer.ImportFileError as err:
        flash(str(err), "error")
        return redirect(url_for(".upload"))
    report = importer.import_rows(rows, mapping, f"Imported from {meta['filename']}",
                                  kind=meta["kind"])
    record_audit("content.imported", current_user, None, client_ip(), kind=meta["kind"],
                 file=meta["filename"], imported=report.imported, skipped=len(report.skipped))
    db.session.commit()
    return render_template("imports/result.html", report=report, filename=meta["filename"],
                           kind_label=IMPORT_KIND_LABELS[meta["kind"]])
