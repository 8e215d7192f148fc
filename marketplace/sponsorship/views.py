"""Donor pages, pledging, recording payments, the donor dashboard, history CSV and receipts."""

import csv
import io
import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts import permissions as perm
from marketplace.accounts.models import Organization
from marketplace.accounts.services import record_audit
from marketplace.extensions import csrf, db
from marketplace.ledger.money import format_minor, plain_minor
from marketplace.projects.models import Project
from marketplace.security import action_limit
from marketplace.sponsorship import dashboard, hosting, services, stripe_checkout
from marketplace.sponsorship import payments as providers
from marketplace.sponsorship.forms import DonorProfileForm, PledgeForm, RecordPaymentForm, new_nonce
from marketplace.sponsorship.models import PLEDGE_STATUS_LABELS, Pledge, PledgeStatus
from marketplace.sponsorship.transparency import BOM, csv_cell
from marketplace.web import act, client_ip, confirm_page, page_arg, paginate, request_locale, require, safe_next

bp = Blueprint("sponsorship", __name__, url_prefix="/sponsorship")
log = logging.getLogger(__name__)


@bp.app_template_global()
def pledge_form_for(project: Project) -> PledgeForm:
    """A fresh pledge form (with its one-time nonce) for the include on the project page."""
    profile = services.donor_profile(current_user) if current_user.is_authenticated else None
    return PledgeForm(currency=project.currency, formdata=None,
                      is_anonymous=bool(profile and profile.is_anonymous_by_default))


@bp.app_template_filter("money")
def _money(amount_minor: int | None, currency: str) -> str:
    return format_minor(amount_minor or 0, currency)


def _project(slug: str) -> Project:
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None or not perm.can_view_project(current_user, project):
        abort(404)
    return project


def _pledge(pledge_id: int) -> Pledge:
    pledge = db.session.get(Pledge, pledge_id, options=[joinedload(Pledge.project)])
    if pledge is None:
        abort(404)
    return pledge


# --- donor profile ----------------------------------------------------------------------------


@bp.route("/donor", methods=["GET", "POST"])
@login_required
def donor_profile():
    profile = services.donor_profile(current_user)
    orgs = [(m.organization_id, m.organization.name) for m in current_user.memberships]
    form = DonorProfileForm(obj=profile, organization_choices=orgs)
    if request.method == "GET" and profile is not None:
        form.organization.data = profile.organization_id or 0
    if not form.validate_on_submit():
        return render_template("sponsorship/donor_profile.html", form=form, profile=profile)
    org = db.session.get(Organization, form.organization.data) if form.organization.data else None
    return act(lambda: services.save_donor_profile(
        current_user, kind=form.kind.data, organization=org,
        is_anonymous_by_default=form.is_anonymous_by_default.data,
        focus_themes=form.focus_themes.data or [], focus_countries=form.focus_countries.data or [],
        country=form.country.data, tax_identifier=form.tax_identifier.data or "", ip=client_ip()),
        success=_("Your donor profile is saved."),
        to=safe_next(request.args.get("next"), url_for(".dashboard_page")),
        form=form, template="sponsorship/donor_profile.html", context={"profile": profile})


# --- pledging ---------------------------------------------------------------------------------


@bp.route("/projects/<slug>/pledge", methods=["GET", "POST"])
@action_limit("pledge")
@login_required
def pledge(slug):
    project = _project(slug)
    if project.owner_id == current_user.id:
        require(False, _("You own this project: pledges come from donors, not from its owner."))
    if not current_user.is_donor:
        flash(_("Tell us a little about how you give first; then you can pledge."), "info")
        return redirect(url_for(".donor_profile", next=request.path))
    if not perm.can_pledge(current_user, project, request.form.get("idempotency_key")):
        closed = services.closed_to(current_user, project)
        if closed is not None:
            abort(409, description=closed.message)
        require(False)
    # The profile's default fills the checkbox of a new form; a posted form says it itself.
    profile = services.donor_profile(current_user) if request.method == "GET" else None
    form = PledgeForm(currency=project.currency, is_anonymous=bool(profile and profile.is_anonymous_by_default))
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("sponsorship/pledge.html", form=form, project=project), status

    def renew_nonce(_err):  # nothing was recorded: a corrected retry is new
        form.idempotency_key.data = new_nonce()

    return act(lambda: services.record_pledge(
        current_user, project, form.amount.data, idempotency_key=form.idempotency_key.data or "",
        message=form.message.data or "", is_anonymous=form.is_anonymous.data,
        locale=request_locale()),
        to=lambda result: providers.redirect_url(result[0]) or url_for(".pledge_detail", pledge_id=result[0].id),
        success=_("Thank you: your pledge is recorded."),
        on_error=renew_nonce, form=form, template="sponsorship/pledge.html", context={"project": project})


@bp.app_template_global()
def pays_by_card() -> bool:
    """New pledges are paid by card on the provider's page (PAYMENT_PROVIDER="stripe")."""
    return providers.PROVIDERS[providers.provider_name()].name == stripe_checkout.StripeCheckoutProvider.name


@bp.route("/pledges/<int:pledge_id>/pay", methods=["POST"])
@action_limit("pledge")
@login_required
def pay(pledge_id):
    """Back to the card provider's page for an unpaid pledge (the donor left it, or it expired)."""
    pledge = _pledge(pledge_id)
    require(pledge.donor_id == current_user.id and providers.is_online(pledge))
    detail = url_for(".pledge_detail", pledge_id=pledge.id)
    if pledge.status != PledgeStatus.PLEDGED:
        return redirect(detail)
    return act(lambda: providers.start(pledge, services.confirm_pledge), to=lambda url: url or detail)


@bp.route("/webhooks/stripe", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    """Stripe's signed event: 400 unless the signature and timestamp verify; otherwise 200."""
    try:
        event = stripe_checkout.verify(request.get_data(), request.headers.get("Stripe-Signature"))
    except ValueError as err:
        log.warning("stripe webhook refused: %s", err)
        return {"error": "invalid signature"}, 400
    outcome = stripe_checkout.record_event(event, services.confirm_pledge, client_ip())
    db.session.commit()
    log.info("stripe webhook %s %s: %s", event.id, event.type, outcome)
    return {"received": True, "outcome": outcome}, 200


@bp.route("/pledges/<int:pledge_id>")
@login_required
def pledge_detail(pledge_id):
    pledge = _pledge(pledge_id)
    require(perm.can_view_pledge(current_user, pledge))
    return render_template("sponsorship/pledge_detail.html", pledge=pledge,
                           pays_online=providers.is_online(pledge) and pledge.donor_id == current_user.id,
                           just_paid=request.args.get("paid") == "1",
                           can_cancel=pledge.status == PledgeStatus.PLEDGED
                           and perm.can_cancel_pledge(current_user, pledge))


@bp.route("/pledges/<int:pledge_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(pledge_id):
    """GET: the confirmation page (works without JavaScript); POST: cancel."""
    pledge = _pledge(pledge_id)
    require(perm.can_cancel_pledge(current_user, pledge))
    own = pledge.donor_id == current_user.id
    back = (url_for(".pledge_detail", pledge_id=pledge_id) if own
            else url_for(".payments", slug=pledge.project.slug, status=_status_arg()))
    if request.method == "GET":
        amount = format_minor(pledge.amount_minor, pledge.currency)
        if pledge.status != PledgeStatus.PLEDGED:  # withdrawn meanwhile (another tab), or paid
            flash(_("This pledge was not changed: its status is now “%(status)s”.", status=pledge.status_label),
                  "info")
            return redirect(back)
        if own:
            return confirm_page(_("Withdraw your pledge of %(amount)s to %(project)s?", amount=amount,
                                  project=pledge.project.title), _("Withdraw the pledge"), back,
                                detail=_("Its room goes back to the project. You can pledge again later."),
                                back_label=_("Keep the pledge"))
        return confirm_page(_("Cancel the pledge of %(amount)s by %(donor)s to %(project)s?", amount=amount,
                              donor=pledge.donor.public_name, project=pledge.project.title),
                            _("Cancel the pledge"), back, back_label=_("Keep the pledge"))
    return act(lambda: services.withdraw_pledge(pledge, current_user),
               success=_("Your pledge is withdrawn.") if own else _("The pledge is cancelled."), to=back)


# --- hosts record payments --------------------------------------------------------------------


PAYMENTS_PER_PAGE = 20


def _not_the_owners(project: Project) -> str | None:
    """Why the project's owner may not record its payments, and who does (segregation of duties)."""
    if project.owner_id != current_user.id:
        return None
    if project.host is not None:
        return _("You own this project, so you do not record its payments: the treasurers of %(host)s, its "
                 "fiscal host, record each payment when the money arrives (segregation of duties). Received "
                 "money shows in the project's totals.", host=project.host.name)
    return _("You own this project, so you do not record its payments: site administrators and the admins of "
             "its organization do, when the money arrives (segregation of duties). Received money shows in the "
             "project's totals.")


@bp.app_template_global()
def pledge_lapses_on(pledge: Pledge):
    """The day an unpaid transfer pledge is cancelled (PLEDGE_LAPSE_DAYS), or None."""
    return services.lapse_date(pledge)


@bp.app_template_global()
def can_view_payments_of(project: Project) -> bool:
    return perm.can_view_payments(current_user, project)


@bp.app_template_global()
def my_pledges_to(project: Project) -> list[Pledge]:
    """The signed-in donor's latest pledges to the project (the pledge box reminds them)."""
    return dashboard.latest_pledges_to(current_user.id, project.id) if current_user.is_authenticated else []


@bp.route("/projects/<slug>/payments")
@login_required
def payments(slug):
    project = _project(slug)
    require(perm.can_view_payments(current_user, project))
    return _payments_page(project)


def _payments_page(project: Project, failed: Pledge | None = None, form: RecordPaymentForm | None = None):
    """The project's pledges, those awaiting payment first; `failed`: the pledge whose payment
    form (`form`, as typed) did not validate, shown again with its message."""
    counts = dashboard.status_counts(Pledge.project_id == project.id)
    status = _status_arg()
    pledges = _pledge_page(dashboard.project_pledges_query(project.id, status), counts, status, PAYMENTS_PER_PAGE)
    return render_template("sponsorship/payments.html", project=project, pledges=pledges, counts=counts,
                           status=status, total=sum(counts.values()), form=form or RecordPaymentForm(),
                           failed_id=failed.id if failed is not None else None,
                           can_record=perm.can_record_payment(current_user, project),
                           owners_note=_not_the_owners(project))


@bp.route("/pledges/<int:pledge_id>/record-payment", methods=["POST"])
@login_required
def record_payment(pledge_id):
    pledge = _pledge(pledge_id)
    require(perm.can_record_payment(current_user, pledge.project), _not_the_owners(pledge.project))
    form = RecordPaymentForm()
    if not form.validate_on_submit():  # the list again, this row's message and what was typed kept
        return _payments_page(pledge.project, failed=pledge, form=form), 422

    def record():
        services.confirm_pledge(pledge, current_user, provider_reference=form.reference.data or "")
        record_audit("payment.recorded", current_user, pledge, client_ip(), source="by_hand",
                     amount_minor=pledge.amount_minor, currency=pledge.currency)

    return act(record,
               success=_("Payment recorded: %(amount)s is now a contribution.",
                         amount=format_minor(pledge.amount_minor, pledge.currency)),
               to=url_for(".payments", slug=pledge.project.slug, status=_status_arg(),  # back to the same page
                          page=page_arg() if request.args.get("page") else None))


# --- donor dashboard, history, receipts -------------------------------------------------------


@bp.route("/dashboard")
@login_required
def dashboard_page():
    counts = dashboard.status_counts(Pledge.donor_id == current_user.id)
    status = _status_arg()
    given = dashboard.given_by_project(current_user.id)  # over every pledge, not this page's
    supported = dashboard.supported_projects(current_user.id)
    return render_template(
        "sponsorship/dashboard.html", counts=counts, status=status, total=sum(counts.values()),
        pledges=_pledge_page(dashboard.my_pledges_query(current_user.id, status), counts, status, dashboard.PER_PAGE),
        outcomes=dashboard.outcomes(given), given=dashboard.totals_by_currency(given),
        achieved=dashboard.objectives_achieved(supported) if supported else 0,
        formula=dashboard.FORMULA, profile=services.donor_profile(current_user))


_STATUSES = tuple(status.value for status in PledgeStatus)


def _pledge_page(query, counts: dict[str, int], status: str | None, per_page: int):
    """One page of a pledge list filtered by `status`, its total known from `counts` (no COUNT)."""
    return paginate(query, per_page, total=counts.get(status, 0) if status else sum(counts.values()))


def _status_arg() -> str | None:
    """The `status` filter of a pledge list: a known status, else none (every pledge)."""
    status = request.args.get("status", "")
    return status if status in _STATUSES else None


@bp.app_template_global()
def pledge_status_filters(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(status, label, how many) for each status a pledge list has, in the statuses' order."""
    return [(status, str(PLEDGE_STATUS_LABELS[PledgeStatus(status)]), counts[status])
            for status in _STATUSES if counts.get(status)]


@bp.route("/dashboard/history.csv")
@login_required
def history_csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("date"), _("project"), _("amount"), _("currency"), _("status"), _("refunded"),
                     _("anonymous"), _("receipt")])
    for p in dashboard.my_pledges(current_user.id):
        writer.writerow([csv_cell(c) for c in (
            p.created_at.date().isoformat(), p.project.title, plain_minor(p.amount_minor, p.currency),
            p.currency, p.status_label, plain_minor(p.refunded_minor, p.currency),
            _("yes") if p.is_anonymous else _("no"), receipt_number(p) or "")])
    return BOM + out.getvalue(), 200, {"Content-Type": "text/csv; charset=utf-8",
                                       "Content-Disposition": 'attachment; filename="giving-history.csv"'}


def receipt_number(pledge: Pledge) -> str | None:
    return f"R-{pledge.contribution_id:06d}" if pledge.contribution_id else None


@bp.app_template_global()
def pledge_receipt_number(pledge: Pledge) -> str | None:
    return receipt_number(pledge)


@bp.app_template_global()
def shown_provider_reference(reference: str | None) -> str:
    return hosting.bank_reference(reference)


@bp.route("/receipts/<int:pledge_id>")
@login_required
def receipt(pledge_id):
    pledge = _pledge(pledge_id)
    require(perm.can_view_pledge(current_user, pledge))
    if pledge.contribution_id is None:
        abort(404)  # no money received yet: nothing to acknowledge
    return render_template("sponsorship/receipt.html", pledge=pledge,
                           profile=services.donor_profile(pledge.donor), number=receipt_number(pledge))


@bp.app_template_global()
def can_record_payments_for(project: Project) -> bool:
    return perm.can_record_payment(current_user, project)
