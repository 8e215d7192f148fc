"""Fiscal host pages: payment settings (org admins), and for treasurers the awaiting pledges, bank
statement upload, proposed matches confirmed in bulk, and the lines nothing matched."""

from typing import Any

from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.accounts import permissions as perm
from marketplace.accounts.models import Organization
from marketplace.accounts.services import record_audit
from marketplace.extensions import db
from marketplace.ledger.money import format_minor
from marketplace.sponsorship import hosting
from marketplace.sponsorship.forms import HostSettingsForm, StatementForm
from marketplace.sponsorship.models import BankLine, BankLineStatus, BankStatement
from marketplace.web import act, client_ip, confirm_page, page_arg, paginate, require

bp = Blueprint("hosts", __name__, url_prefix="/hosts")


def _org(slug: str) -> Organization:
    org = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        abort(404)
    return org


def _treasury(slug: str) -> Organization:
    org = _org(slug)
    require(org.is_fiscal_host and perm.can_treasure(current_user, org))
    return org


@bp.route("/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug):
    org = _org(slug)
    require(perm.can_manage_host(current_user, org))
    form = HostSettingsForm(obj=org)
    if not form.validate_on_submit():
        return render_template("sponsorship/host_settings.html", org=org, form=form), 422 if form.errors else 200

    def save():
        hosting.update_host_settings(
            org, is_fiscal_host=form.is_fiscal_host.data, payment_instructions=form.payment_instructions.data,
            bank_account_holder=form.bank_account_holder.data, iban=form.iban.data, bic=form.bic.data)
        record_audit("host.settings_changed", current_user, org, client_ip(), is_fiscal_host=org.is_fiscal_host)

    return act(save, success=_("The payment settings are saved."),
               to=lambda _none: url_for(".dashboard", slug=org.slug) if org.is_fiscal_host
               else url_for("organizations.show", slug=org.slug),
               form=form, template="sponsorship/host_settings.html", context={"org": org})


# The dashboard's lists, each paged on its own (`proposed_page`, ...): the proposals are recorded
# a page at a time by the form around them, so that page is longer.
PER_PAGE = {"proposed_page": 50, "unmatched_page": 20, "awaiting_page": 20, "projects_page": 20}


def _pages() -> dict[str, Any]:
    """The pages of the dashboard's lists an action was sent from (its address carries them),
    so that it comes back to them; page 1 is left out."""
    return {name: page_arg(name) for name in PER_PAGE if page_arg(name) > 1}


def _back(org: Organization) -> str:
    return url_for(".dashboard", slug=org.slug, **_pages())


def _dashboard_context(org: Organization) -> dict:
    if hosting.release_stale_proposals(org):  # a pledge recorded by hand or cancelled meanwhile
        db.session.commit()

    def page(name: str, query):
        return paginate(query, PER_PAGE[name], page=page_arg(name))

    unmatched = page("unmatched_page", hosting.lines_query(org, (BankLineStatus.UNMATCHED.value,)))
    return dict(
        org=org, projects=page("projects_page", hosting.hosted_projects_query(org)),
        awaiting=page("awaiting_page", hosting.awaiting_pledges_query(org)),
        proposed=page("proposed_page", hosting.lines_query(org, (BankLineStatus.PROPOSED.value,))),
        unmatched=unmatched, candidates=hosting.candidates(org, list(unmatched.items)),
        statements=db.session.scalars(select(BankStatement).where(BankStatement.host_id == org.id)
                                      .order_by(BankStatement.created_at.desc()).limit(10)).all(),
        reference=hosting.display_reference, pages=_pages())


@bp.route("/<slug>")
@login_required
def dashboard(slug):
    org = _treasury(slug)
    return render_template("sponsorship/host.html", form=StatementForm(), **_dashboard_context(org))


@bp.route("/<slug>/statements", methods=["POST"])
@login_required
def upload_statement(slug):
    org = _treasury(slug)
    form = StatementForm()
    if not form.validate_on_submit():
        return render_template("sponsorship/host.html", form=form, **_dashboard_context(org)), 422
    upload = form.statement.data

    def read():
        statement = hosting.import_statement(org, current_user, upload.read(), form.file_format.data,
                                             filename=upload.filename or "", mapping=form.csv_mapping(),
                                             decimal_mark=form.decimal_mark.data or "")
        record_audit("host.statement_uploaded", current_user, org, client_ip(), statement_id=statement.id,
                     lines=statement.line_count, new_lines=statement.new_line_count)
        return statement

    def done(statement) -> None:
        if not statement.new_line_count:
            flash(_("This statement was already imported; nothing changed."), "info")
            return
        flash(ngettext("%(num)s new line read from the statement.",
                       "%(num)s new lines read from the statement.", statement.new_line_count)
              + " " + _("Lines already uploaded before are not added again."), "success")

    return act(read, success=done, to=_back(org), form=form,
               template="sponsorship/host.html", context=lambda: _dashboard_context(org))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A statement past the request size limit: the page again, with the field's message."""
    if request.endpoint != "hosts.upload_statement" or not current_user.is_authenticated:
        return error
    org = _treasury((request.view_args or {}).get("slug", ""))
    form = StatementForm(formdata=None)  # the body is what is too large: not read
    limit = format_decimal(current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024), format="0.##")
    form.statement.errors = [_("The file is larger than %(size)s MB, the most accepted: split the "
                               "statement into shorter periods.", size=limit)]
    return render_template("sponsorship/host.html", form=form, **_dashboard_context(org)), 413


def _described(line: BankLine) -> str:
    """A bank line as the treasurer sees it: date, amount, payer (or the start of its details)."""
    who = line.payer or (line.details[:40] + ("…" if len(line.details) > 40 else "")) or "—"
    return f"{format_date(line.booked_on)} · {format_minor(line.amount_minor, line.currency)} · {who}"


@bp.route("/<slug>/confirm", methods=["POST"])
@login_required
def confirm(slug):
    org = _treasury(slug)
    ids = [int(v) for v in request.form.getlist("line") if v.isascii() and v.isdigit() and len(v) < 10]

    def record():
        result = hosting.confirm_lines(org, current_user, ids)
        for pledge in result.recorded:
            record_audit("payment.recorded", current_user, pledge, client_ip(), source="bank_statement",
                         amount_minor=pledge.amount_minor, currency=pledge.currency)
        return result

    def done(result: hosting.Confirmation) -> None:
        if result.recorded:
            flash(ngettext("%(num)s payment recorded.", "%(num)s payments recorded.", len(result.recorded)),
                  "success")
        if result.already:
            flash(ngettext("%(num)s payment was already recorded by someone else.",
                           "%(num)s payments were already recorded by someone else.", result.already), "info")
        for line, why in result.skipped:
            flash(_("Not recorded: %(line)s — its pledge is no longer awaiting payment (recorded or "
                    "cancelled meanwhile); the payment is back among those to match.", line=_described(line))
                  if why == "stale" else
                  _("Not recorded: %(line)s — it is no longer proposed for a pledge.", line=_described(line)),
                  "warning")
        if not (result.recorded or result.already or result.skipped):
            flash(_("No payment was checked."), "info")

    return act(record, success=done, to=_back(org))


@bp.route("/<slug>/lines/<int:line_id>/unmatch", methods=["POST"])
@login_required
def unmatch(slug, line_id):
    org = _treasury(slug)
    return act(lambda: hosting.unmatch_line(org, line_id),
               success=_("The proposal is withdrawn: the payment is back among those nothing matched."),
               to=_back(org))


@bp.route("/<slug>/lines/<int:line_id>/match", methods=["POST"])
@login_required
def match(slug, line_id):
    org = _treasury(slug)
    raw = request.form.get("pledge", "")
    pledge_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    return act(lambda: hosting.match_line(org, line_id, pledge_id),
               success=_("The payment is proposed for that pledge: check it and record it above."),
               to=_back(org))


@bp.route("/<slug>/lines/<int:line_id>/ignore", methods=["GET", "POST"])
@login_required
def ignore(slug, line_id):
    """GET: the confirmation page (works without JavaScript); POST: set the line aside."""
    org = _treasury(slug)
    if request.method == "GET":
        line = db.session.get(BankLine, line_id)
        if line is None or line.host_id != org.id or line.status == BankLineStatus.CONFIRMED.value:
            abort(404)
        return confirm_page(_("Set aside the line from %(payer)s as not a donation?",
                              payer=line.payer or "—"),
                            _("Not a donation"), _back(org),
                            detail=_("It can then no longer be matched to a pledge."))
    return act(lambda: hosting.ignore_line(org, line_id), success=_("The line is set aside as not a donation."),
               to=_back(org))


@bp.app_template_global()
def can_treasure(org: Organization) -> bool:
    return perm.can_treasure(current_user, org)


@bp.app_template_global()
def pledge_payment_reference(pledge_id: int) -> str:
    return hosting.display_reference(pledge_id)


@bp.app_template_filter("iban")
def _iban(value: str) -> str:
    """An IBAN printed in groups of four, as on paper."""
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
