"""Sign-up, sign-in, settings, profiles and the language switcher."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import links
from marketplace.accounts import permissions, services
from marketplace.accounts.forms import (
    DeleteAccountForm,
    EmailChangeForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)
from marketplace.accounts.models import ROLE_LABELS, OrganizationMember, User
from marketplace.accounts.outbox import queue_templated_email
from marketplace.accounts.permissions import can_view_profile, is_public_role
from marketplace.extensions import db, limiter
from marketplace.i18n import LOCALE_COOKIE
from marketplace.security import action_limit
from marketplace.slugs import parse_tags
from marketplace.web import act, client_ip, safe_next

bp = Blueprint("accounts", __name__)
bp.record_once(lambda state: permissions.init_app(state.app))  # `can`, `can_see` in templates


def _sign_in(user: User, remember: bool) -> None:
    """Rotate the session, record the sign-in and set the login cookie."""
    services.end_login_session(session.get("_user_id"))
    session.clear()
    services.start_login_session(user, request.user_agent.string or "")
    services.record_audit("auth.login", user, user, client_ip())
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@action_limit("register")
def register():
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("accounts/register.html", form=form), 400 if form.errors else 200
    existing = services.get_user_by_email(form.email.data)

    def register():
        services.check_password_strength(form.password.data, [form.email.data, form.display_name.data])
        if existing is not None:  # no oracle: the owner is told by mail, the visitor sees the usual answer
            services.hash_password(form.password.data)  # as long as creating an account takes
            queue_templated_email(existing, _l("You already have an account"), "email/account_exists.txt",
                                  link=links.absolute("accounts.forgot_password"))
            return
        user = services.register_user(
            form.email.data, form.display_name.data, form.password.data, _current_locale())
        _send_confirmation(user)

    # Neither answer signs anyone in: the account is usable once the mailed link is followed.
    return act(register, category="info", to=url_for("accounts.login"),
               success=_("We have sent a message to %(email)s. Follow its link to confirm your "
                         "address, then sign in.", email=services.normalize_email(form.email.data)),
               form=form, template="accounts/register.html")


def _send_confirmation(user: User) -> None:
    link = links.absolute("accounts.confirm_account",
                          token=services.make_email_confirmation_token(user))
    queue_templated_email(user, _l("Confirm your email address"), "email/confirm_account.txt",
                          link=link)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_account(token):
    if request.method == "GET":  # a mail scanner's GET changes nothing
        return render_template("accounts/confirm_email.html", heading=_("Confirm your email address"))

    def confirm():
        user = services.confirm_email_address(token)
        services.record_audit("auth.email_confirm", user, user, client_ip())

    return act(confirm, success=_("Your email address is confirmed. Welcome!"),
               to=url_for("main.home") if current_user.is_authenticated else url_for("accounts.login"))


@bp.route("/settings/email/confirmation", methods=["GET", "POST"])
@action_limit("confirmation_email")
@login_required
def email_confirmation():
    """Why an unconfirmed account may not take part yet, and a button to mail the link again."""
    form = ResendConfirmationForm()
    if not form.validate_on_submit():
        return render_template("accounts/email_confirmation.html", form=form)
    user = current_user._get_current_object()
    if user.is_email_confirmed:
        flash(_("Your email address is already confirmed."), "info")
        return redirect(url_for("main.home"))
    return act(lambda: _send_confirmation(user), category="info",
               success=_("We have sent a new link to %(email)s.", email=user.email),
               to=url_for("accounts.email_confirmation"))


def _current_locale() -> str | None:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale else None


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 400 if form.errors else 200
    user = services.authenticate(form.email.data, form.password.data)
    if user is None or not user.is_active:
        services.record_audit("auth.login_failed", None, None, client_ip(), email=form.email.data[:254])
        db.session.commit()
        form.form_errors.append(_("The email or password is not correct."))
        return render_template("accounts/login.html", form=form), 401
    _sign_in(user, remember=form.remember.data)
    if not user.is_email_confirmed:
        flash(_("Confirm your email address to post, pledge, message and endorse."), "info")
    return redirect(safe_next(form.next.data, url_for("main.home")))


@bp.route("/logout", methods=["POST"])
def logout():

    def end():
        if current_user.is_authenticated:
            services.end_login_session(current_user.session_token)
            services.record_audit("auth.logout", current_user, current_user, client_ip())

    return act(end, then=_forget_session, success=_("You are signed out."), category="info",
               to=url_for("main.home"))


def _forget_session(_result=None) -> None:
    session.clear()
    logout_user()  # after clear(): it leaves the flag that deletes the remember cookie


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(obj=current_user) if request.method == "GET" else ProfileForm()
    if request.method == "GET":
        form.bio.data = current_user.bio_source
        form.expertise.data = ", ".join(e.tag for e in current_user.expertise)
        form.locale.data = current_user.locale or ""
    if not form.validate_on_submit():
        return render_template("accounts/profile_edit.html", form=form), 400 if form.errors else 200
    return act(lambda: services.update_profile(
        current_user, display_name=form.display_name.data, bio=form.bio.data,
        country=form.country.data, languages=form.languages.data,
        expertise=parse_tags(form.expertise.data), locale=form.locale.data),
        success=_("Your profile is saved."), to=url_for("accounts.profile", user_id=current_user.id),
        form=form, template="accounts/profile_edit.html")


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_template("accounts/password.html", form=form), 400 if form.errors else 200
    user = current_user._get_current_object()  # login_user() must not get the proxy

    def change():
        services.change_password(user, form.current_password.data, form.new_password.data)
        services.record_audit("auth.password_change", user, user, client_ip())

    return act(change, then=lambda _none: _sign_in(user, remember=False),
               success=_("Your password is changed. Every other session has been signed out."),
               to=url_for("accounts.edit_profile"), form=form, template="accounts/password.html")


@bp.route("/forgot-password", methods=["GET", "POST"])
@action_limit("forgot_password")
@limiter.limit(_login_limit, methods=["POST"])  # nobody floods someone's inbox with reset mail
def forgot_password():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200

    def send():  # the outbox sends after commit: a mail failure never shows here
        user = services.get_user_by_email(form.email.data)
        if user is not None and user.is_active:
            link = links.absolute("accounts.reset_password",
                                  token=services.make_password_reset_token(user))
            queue_templated_email(user, _l("Reset your password"), "email/reset.txt", link=link)

    return act(send, category="info", to=url_for("accounts.login"),
               success=_("If an account uses that address, we have sent it a link to reset the password."))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render_template("accounts/reset.html", form=form), 400 if form.errors else 200

    def reset():
        user = services.reset_password(token, form.password.data)
        services.record_audit("auth.password_reset", user, user, client_ip())

    # A bad or expired token is no field of this form: it is flashed on the forgot-password page.
    return act(reset, success=_("Your password is changed. You can sign in now."),
               to=url_for("accounts.login"), form=form, template="accounts/reset.html",
               error_to=url_for("accounts.forgot_password"))


@bp.route("/settings/email", methods=["GET", "POST"])
@action_limit("email_change")
@login_required
def change_email():
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return render_template("accounts/email.html", form=form), 400 if form.errors else 200

    def send():  # the same answer whether the address is free or someone else's (no oracle)
        token, owner = services.start_email_change(current_user, form.email.data, form.password.data)
        if owner is not None:
            if owner.is_active:
                queue_templated_email(owner, _l("Someone tried to use your email address"),
                                      "email/address_in_use.txt",
                                      link=links.absolute("accounts.forgot_password"))
            return
        link = links.absolute("accounts.confirm_email", token=token)
        queue_templated_email(current_user._get_current_object(), _l("Confirm your new email address"),
                              "email/confirm_email.txt", to=form.email.data, link=link)

    return act(send, success=_("We have sent a confirmation link to %(email)s.", email=form.email.data),
               category="info", to=url_for("accounts.edit_profile"), form=form,
               template="accounts/email.html")


@bp.route("/settings/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token):
    if request.method == "GET":
        return render_template("accounts/confirm_email.html")

    def confirm():
        user = services.confirm_email_change(token)
        services.record_audit("auth.email_change", user, user, client_ip())
        return user

    return act(confirm, success=lambda user: _("Your email address is now %(email)s.", email=user.email),
               to=url_for("main.home"))


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("accounts/delete.html", form=form), 400 if form.errors else 200
    user = current_user._get_current_object()

    def delete():
        services.delete_account(user, form.password.data)
        services.record_audit("account.delete", user, user, client_ip())

    return act(delete, then=_forget_session, category="info", to=url_for("main.home"),
               success=_("Your account is deleted. What you wrote stays, attributed to “deleted user”."),
               form=form, template="accounts/delete.html")


@bp.route("/people/<int:user_id>")
def profile(user_id):
    user = db.first_or_404(select(User).where(User.id == user_id).options(
        selectinload(User.expertise),
        selectinload(User.memberships).joinedload(OrganizationMember.organization)))
    if not can_view_profile(current_user, user):
        abort(404)
    return render_template("accounts/profile.html", person=user, role_labels=ROLE_LABELS,
                           roles=[r.role for r in user.roles if is_public_role(user, r.role)])


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = form.lang.data
        db.session.commit()
    response = make_response(redirect(safe_next(form.next.data, url_for("main.home"))))
    response.set_cookie(LOCALE_COOKIE, form.lang.data, max_age=60 * 60 * 24 * 365,
                        samesite="Lax", httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
