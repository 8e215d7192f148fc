"""Serving files (/files/<id>/<name>), the upload page of a parent, removing a file."""

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace import gate
from marketplace.extensions import db
from marketplace.files import extract, parents, services  # noqa: F401  (extract: its listeners)
from marketplace.files.forms import ImageForm, UploadForm
from marketplace.files.models import Attachment
from marketplace.web import act, confirm_page, require

bp = Blueprint("files", __name__)

# Served files can never run as a page of the site: no script, no plugin, no form, sandboxed
# (an opaque origin even if a browser rendered one), and images only from here.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"


def _serve(attachment_id: int, name: str, thumb: bool):
    attachment = services.get_visible(current_user, attachment_id)
    if attachment is None or (thumb and not attachment.thumb_sha256):
        abort(404)
    if name != attachment.name:
        endpoint = "files.thumbnail" if thumb else "files.serve"
        return redirect(url_for(endpoint, attachment_id=attachment.id, name=attachment.name), 301)
    data = services.read(attachment, thumb=thumb)
    if data is None:
        current_app.logger.error("files: blob of attachment %s is missing", attachment.id)
        abort(404)
    inline = attachment.is_image  # re-encoded pixels only; everything else is a download
    mimetype = attachment.media_type
    if mimetype.startswith("text/"):
        mimetype += "; charset=utf-8"
    public = _is_public(attachment)
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=not inline,
                         download_name=attachment.name, conditional=True,
                         etag=(attachment.thumb_sha256 if thumb else attachment.blob_sha256),
                         max_age=3600 if public else None)
    headers = response.headers
    headers["Content-Security-Policy"] = FILE_CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Cache-Control"] = "public, max-age=3600" if public else "private, no-cache"
    return response


def _is_public(attachment: Attachment) -> bool:
    row = parents.load(attachment.parent_kind, attachment.parent_id)
    return parents.visible(None, attachment.parent_kind, row)


@bp.route("/files/<int:attachment_id>/<path:name>")
def serve(attachment_id, name):
    return _serve(attachment_id, name, thumb=False)


@bp.route("/files/<int:attachment_id>/thumbnail/<path:name>")
def thumbnail(attachment_id, name):
    return _serve(attachment_id, name, thumb=True)


def _parent_or_404(kind: str, parent_id: int):
    row = parents.load(kind, parent_id)
    if row is None or not parents.visible(current_user, kind, row):
        abort(404)
    return parents.PARENTS[kind], row


def _page(form, parent, row, status=200):
    return render_template("files/attach.html", form=form, **_page_context(form, parent, row)), status


def _limits() -> dict:
    config = current_app.config
    return {"sizes": {k: services.size_text(v) for k, v in config["FILES_MAX_BYTES"].items()},
            "quota": services.size_text(config["FILES_USER_QUOTA_BYTES"]),
            "used": services.size_text(services.used_bytes(current_user.id))}


@bp.route("/files/attach/<kind>/<int:parent_id>", methods=["GET", "POST"])
@login_required
def attach(kind, parent_id):
    parent, row = _parent_or_404(kind, parent_id)
    require(parent.may_attach(current_user, row))
    form = UploadForm()
    if request.method == "GET":
        return _page(form, parent, row)
    if not form.validate_on_submit():
        return _page(form, parent, row, 400)
    upload = request.files.get("file")
    if upload is None or not upload.filename and not upload.content_length:
        form.file.errors = [_("Choose a file to upload.")]
        return _page(form, parent, row, 400)
    data = upload.read()
    replaces = None
    if form.replaces.data:
        replaces = next((a for a in services.listed(kind, row.id) if str(a.id) == form.replaces.data), None)
    return act(lambda: services.attach(current_user, kind, row, upload.filename, data, replaces=replaces),
               success=lambda a: _("%(name)s is attached.", name=a.name), to=parent.url(row),
               form=form, template="files/attach.html",
               context=lambda: _page_context(form, parent, row))


def _page_context(form, parent, row) -> dict:
    attachments = services.listed(parent.kind, row.id)
    form.replaces.choices = [("", _("Nothing (a new file)"))] + [(str(a.id), a.name) for a in attachments]
    return {"parent": parent, "row": row, "attachments": attachments, "limits": _limits()}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A body past the largest accepted file: the upload page again, with the field's message."""
    args = request.view_args or {}
    if request.endpoint == "files.avatar":
        flash(_("The file is larger than %(size)s, the most accepted.",
                size=services.size_text(services.max_bytes(current_app.config))), "error")
        return redirect(url_for("accounts.edit_profile"))
    if request.endpoint not in ("files.attach", "files.image") or not current_user.is_authenticated:
        return error
    parent, row = _parent_or_404(args["kind"], args["parent_id"])
    message = _("The file is larger than %(size)s, the most accepted.",
                size=services.size_text(services.max_bytes(current_app.config)))
    if request.endpoint == "files.image":
        image_form = ImageForm(formdata=None)
        image_form.file.errors = [message]
        return _image_page(image_form, parent, row, 413)
    form = UploadForm(formdata=None)
    form.file.errors = [message]
    return _page(form, parent, row, 413)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def image_markdown(attachment: Attachment) -> str:
    alt = attachment.name.rsplit(".", 1)[0].replace("[", "").replace("]", "")
    return f"![{alt}]({services.url(attachment)})"


def _image_page(form, parent, row, status=200, uploaded=None):
    return render_template("files/image.html", form=form, parent=parent, row=row, uploaded=uploaded,
                           markdown=image_markdown(uploaded) if uploaded else None), status


@bp.route("/files/images/<kind>/<int:parent_id>", methods=["GET", "POST"])
@login_required
def image(kind, parent_id):
    """Upload an image to show in a text (a practice's sections, a post): the answer is the
    Markdown to insert. The editor's script sends it with Accept: application/json and inserts
    it; without JavaScript this page shows it to copy."""
    parent, row = _parent_or_404(kind, parent_id)
    require(parent.may_attach(current_user, row))
    form = ImageForm()
    if request.method == "GET":
        return _image_page(form, parent, row)
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename and not upload.content_length:
        form.file.errors = list(form.file.errors) or [_("Choose an image to upload.")]
        return _image_page(form, parent, row, 400)
    data = upload.read()

    def done(attachment):
        if _wants_json():
            return jsonify(markdown=image_markdown(attachment), url=services.url(attachment))
        return _image_page(ImageForm(formdata=None), parent, row, uploaded=attachment)

    return act(lambda: services.attach(current_user, kind, row, upload.filename, data, purpose="image"),
               to=done, form=form, template="files/image.html",
               context=lambda: {"parent": parent, "row": row, "uploaded": None, "markdown": None})


@bp.route("/files/avatar", methods=["POST"])
@login_required
def avatar():
    """A new avatar for the signed-in person (the form is on the profile editing page)."""
    form = ImageForm()
    upload = request.files.get("file")
    to = url_for("accounts.edit_profile")
    if not form.validate_on_submit() or upload is None or not upload.filename and not upload.content_length:
        flash(_("Choose an image to upload."), "error")
        return redirect(to)
    data = upload.read()
    return act(lambda: services.set_avatar(current_user, upload.filename, data),
               success=_("Your picture is saved."), to=to)


@bp.app_template_filter()
def file_size(n: int) -> str:
    return services.size_text(n)


@bp.app_template_filter()
def initials(name: str) -> str:
    """"Ana María Pérez" -> "AP": the first letters of the first and last words."""
    words = [w for w in (name or "").split() if w[:1].isalnum()]
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


@bp.app_template_global()
def avatar_url(user) -> str | None:
    """The thumbnail of the person's avatar, or None (templates then show their initials)."""
    if user is None or user.is_deleted:
        return None
    picture = services.avatar_of(user.id)
    return services.url(picture, thumb=True) if picture else None


@bp.route("/files/<int:attachment_id>/remove", methods=["GET", "POST"])
@login_required
def remove(attachment_id):
    """GET: the confirmation page (works without JavaScript); POST: remove."""
    attachment = services.get_visible(current_user, attachment_id)
    if attachment is None or attachment.is_removed:
        abort(404)
    parent = parents.PARENTS[attachment.parent_kind]
    row = parents.load(attachment.parent_kind, attachment.parent_id)
    require(parent.may_attach(current_user, row))
    if request.method == "GET":
        return confirm_page(_("Remove %(name)s?", name=attachment.name), _("Remove the file"),
                            parent.url(row))
    return act(lambda: services.remove(current_user, attachment),
               success=_("%(name)s is removed.", name=attachment.name), to=parent.url(row))


@bp.app_template_global()
def attachments_of(kind: str, row) -> list[Attachment]:
    """The parent's files; for a kind with siblings (a thread's posts), one query per page."""
    parent = parents.PARENTS.get(kind)
    if parent is None or parent.siblings is None:
        return services.listed(kind, row.id)
    cache = g.setdefault("files_by_parent", {})
    if kind not in cache or row.id not in cache[kind][0]:
        siblings = set(db.session.scalars(parent.siblings(row)))
        cache[kind] = (siblings, services.by_parent(kind, list(siblings)))
    return cache[kind][1].get(row.id, [])


@bp.app_template_global()
def may_attach(kind: str, row) -> bool:
    parent = parents.PARENTS.get(kind)
    return bool(parent and current_user.is_authenticated and parent.may_attach(current_user, row))


@bp.app_template_global()
def file_url(attachment: Attachment, thumb: bool = False) -> str:
    return services.url(attachment, thumb)


def init_app(app) -> None:
    for endpoint in ("files.attach", "files.image", "files.avatar"):  # the form around the file: 64 KB
        gate.allow_large_body(endpoint, lambda: services.max_bytes(app.config) + 64_000)


@bp.app_template_global()
def file_parent(kind: str) -> parents.Parent:
    return parents.PARENTS[kind]
