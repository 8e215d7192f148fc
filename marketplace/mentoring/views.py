"""Mentoring: offer to mentor, find a mentor, requests, the private conversation, feedback."""

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.models import User
from marketplace.accounts.permissions import (
    can_message_mentorship,
    can_offer_mentoring,
    can_request_mentor,
    can_view_mentorship,
    can_withdraw_mentorship_request,
)
from marketplace.extensions import db
from marketplace.gate import bounded_int
from marketplace.mentoring import expertise, matching, services
from marketplace.mentoring.directory import find_experts
from marketplace.mentoring.expertise import FORMULA, contributions
from marketplace.mentoring.forms import (
    DeclineForm,
    DirectoryForm,
    FeedbackForm,
    FindMentorForm,
    MessageForm,
    OfferForm,
    RequestForm,
)
from marketplace.mentoring.models import Mentorship
from marketplace.paging import Page
from marketplace.security import action_limit
from marketplace.web import act, confirm_page, page_arg, paginate, require

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring")

MENTORSHIPS_PER_PAGE = 20  # each list of /mentoring/: under way (current_page), ended (ended_page)
MESSAGES_PER_PAGE = 30  # a conversation's page: the latest first, "show earlier messages" for more


@bp.route("/")
@login_required
def index():
    current = paginate(services.mentorships_of(current_user), MENTORSHIPS_PER_PAGE,
                       page_arg("current_page"))
    ended = paginate(services.mentorships_of(current_user, ended=True), MENTORSHIPS_PER_PAGE,
                     page_arg("ended_page"))
    return render_template("mentoring/index.html", current=current, ended=ended,
                           offer=services.get_offer(current_user))


@bp.route("/offer", methods=["GET", "POST"])
@login_required
def offer():
    require(can_offer_mentoring(current_user))
    existing = services.get_offer(current_user)
    form = OfferForm(obj=existing)
    if request.method == "GET" and existing:
        form.topics.data = ", ".join(existing.topics)
    if not form.validate_on_submit():
        return render_template("mentoring/offer.html", form=form), 400 if form.errors else 200
    return act(lambda: services.save_offer(
        current_user, topics=form.topics.data, languages=form.languages.data,
        capacity=form.capacity.data, availability=form.availability.data or "",
        is_open=form.is_open.data),
        success=_("Your mentoring offer is saved."), to=url_for(".index"),
        form=form, template="mentoring/offer.html")


@bp.route("/find")
@login_required
def find():
    form = FindMentorForm(request.args)
    suggestions = []
    if request.args and form.validate():
        suggestions = services.suggest_mentors(current_user, form.topic.data, form.language.data or None)
    request_form = RequestForm(topic=form.topic.data, language=form.language.data, goal=form.goal.data)
    return render_template("mentoring/find.html", form=form, suggestions=suggestions,
                           request_form=request_form, formula=matching.FORMULA,
                           searched=bool(request.args))


@bp.route("/request", methods=["POST"])
@action_limit("mentoring")
@login_required
def ask():
    require(can_request_mentor(current_user))
    form = RequestForm()
    mentor_id = bounded_int(form.mentor_id.data)  # '²'.isdigit() is true: never int() a str.isdigit()
    mentor = db.session.get(User, mentor_id) if mentor_id else None
    if not form.validate_on_submit() or mentor is None:
        flash(_("Say what you want to achieve, then choose a mentor."), "error")
        return redirect(url_for(".find", topic=form.topic.data or "", language=form.language.data or ""))
    return act(lambda: services.request_mentorship(current_user, mentor, goal=form.goal.data,
                                                   topic=form.topic.data, language=form.language.data),
               success=_("Your request is sent to %(name)s.", name=mentor.display_name),
               to=lambda mentorship: url_for(".show", mentorship_id=mentorship.id),
               error_to=url_for(".find", topic=form.topic.data, language=form.language.data or ""))


def _load(mentorship_id: int) -> Mentorship:
    mentorship = db.get_or_404(Mentorship, mentorship_id)
    if not can_view_mentorship(current_user, mentorship):
        abort(404)
    return mentorship


def _conversation(mentorship: Mentorship) -> Page:
    """One page of the conversation, like a chat: page 1 holds the latest messages, page 2 the
    ones before them; each page reads from the oldest to the newest."""
    page = paginate(services.messages_of(mentorship), MESSAGES_PER_PAGE)
    return replace(page, items=list(page.items)[::-1])


@bp.route("/<int:mentorship_id>")
@login_required
def show(mentorship_id):
    mentorship = _load(mentorship_id)
    return render_template("mentoring/show.html", m=mentorship, messages=_conversation(mentorship),
                           message_form=MessageForm(), decline_form=DeclineForm(),
                           feedback_form=FeedbackForm())


def _act(mentorship_id: int, action, form=None, success: str = ""):
    """Run one state-changing service for a participant and come back to the page."""
    mentorship = _load(mentorship_id)
    if form is not None and not form.validate_on_submit():
        forms = dict(message_form=MessageForm(), decline_form=DeclineForm(),
                     feedback_form=FeedbackForm())
        return render_template("mentoring/show.html", m=mentorship,
                               messages=_conversation(mentorship),
                               **{**forms, _form_name(form): form}), 400
    return act(lambda: action(mentorship, form), success=success,
               to=url_for(".show", mentorship_id=mentorship_id))


def _form_name(form) -> str:
    return {MessageForm: "message_form", DeclineForm: "decline_form",
            FeedbackForm: "feedback_form"}[type(form)]


def _rating(form) -> int | None:
    return int(form.rating.data) if form.rating.data else None


@bp.route("/<int:mentorship_id>/accept", methods=["POST"])
@login_required
def accept(mentorship_id):
    return _act(mentorship_id, lambda m, f: services.accept(current_user, m),
                success=_("You are now mentoring this person."))


@bp.route("/<int:mentorship_id>/decline", methods=["POST"])
@login_required
def decline(mentorship_id):
    return _act(mentorship_id, lambda m, f: services.decline(current_user, m, f.reason.data or ""),
                DeclineForm(), _("The request is declined."))


@bp.route("/<int:mentorship_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(mentorship_id):
    """GET: the confirmation page (works without JavaScript); POST: withdraw the request."""
    if request.method == "GET":
        mentorship = _load(mentorship_id)
        require(can_withdraw_mentorship_request(current_user, mentorship))
        return confirm_page(_("Withdraw your request to %(name)s?",
                              name=mentorship.mentor.public_name),
                            _("Withdraw my request"),
                            url_for(".show", mentorship_id=mentorship_id))
    return _act(mentorship_id, lambda m, f: services.cancel_request(current_user, m),
                success=_("Your request is withdrawn."))


@bp.route("/<int:mentorship_id>/complete", methods=["POST"])
@login_required
def complete(mentorship_id):
    return _act(mentorship_id,
                lambda m, f: services.complete(current_user, m, f.feedback.data, _rating(f)),
                FeedbackForm(), _("The mentorship is complete. Thank you for your feedback."))


@bp.route("/<int:mentorship_id>/feedback", methods=["POST"])
@login_required
def feedback(mentorship_id):
    return _act(mentorship_id,
                lambda m, f: services.leave_feedback(current_user, m, f.feedback.data, _rating(f)),
                FeedbackForm(), _("Thank you for your feedback."))


@bp.route("/<int:mentorship_id>/messages", methods=["POST"])
@action_limit("mentoring")
@login_required
def message(mentorship_id):
    require(can_message_mentorship(current_user, _load(mentorship_id)))
    return _act(mentorship_id, lambda m, f: services.post_message(current_user, m, f.body.data),
                MessageForm(), _("Message sent."))


@bp.route("/experts", endpoint="experts")
def experts():
    form = DirectoryForm(request.args)
    form.validate()
    page = find_experts(tag=form.tag.data or "", country=form.country.data or "",
                        language=form.language.data or "", org_type=form.org_type.data or "",
                        available=bool(form.available.data), page=page_arg(), viewer=current_user)
    return render_template("mentoring/experts.html", form=form, page=page,
                           formula=expertise.FORMULA)


@bp.app_template_global("expertise_for")
def expertise_for(person):
    return contributions([person.id])[person.id]


@bp.app_context_processor
def _expertise_formula():
    return {"expertise_formula": FORMULA}
