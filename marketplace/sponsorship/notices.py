"""Notices of every money event, written by the services IN THE SAME TRANSACTION as the money
movement (notification rows and queued emails are rows too), so a crash after the commit cannot
lose one and a rollback leaves none. Each is rendered in its recipient's language (notify()).

Who is told what:
- pledge received: the project's owner (the donor's name only if not anonymous); when it is to
  be paid by transfer, also the host's treasurers, who will record the money;
- pledge withdrawn by its donor: the owner; cancelled by a host or a site admin: the donor and
  the owner; cancelled unpaid because the project closed: the donor (not to send the money);
- payment recorded: the donor (their receipt is ready);
- goal reached: the owner, every donor, the reviewers and the host's treasurers;
- tranche released: the donors and the owner, naming the verified objective;
- refunds (project cancelled, expired, or completed with money left): each refunded donor, with
  the amount, and the owner.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from marketplace import links
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.ledger.money import format_minor
from marketplace.notifications import kinds
from marketplace.notifications.services import addressee_columns, notify, notify_addressee, queue_templated_email
from marketplace.projects.models import Project
from marketplace.sponsorship.models import Pledge, PledgeStatus


def _money(amount_minor: int, currency: str) -> LazyString:
    """Formatted when the notification is written, in its recipient's locale."""
    return LazyString(format_minor, amount_minor, currency)


def _project_link(project: Project) -> str:
    return links.path("projects.show", slug=project.slug)


def _donors(project_id: int) -> list[User]:
    """Donors whose money the project received (each once)."""
    return list(db.session.scalars(select(User).where(User.id.in_(
        select(Pledge.donor_id).where(Pledge.project_id == project_id,
                                      Pledge.status.in_([PledgeStatus.CONFIRMED.value, PledgeStatus.REFUNDED.value]))
    )).order_by(User.id)))


def _treasurers(project: Project) -> list[User]:
    host = project.host
    if host is None:
        return []
    return [m.user for m in host.members if m.is_admin or m.is_treasurer]


def _tell(users, message, link: str, actor: User | None = None) -> None:
    seen = set()
    for user in users:
        if user is not None and user.id not in seen:
            seen.add(user.id)
            notify(user, kinds.MONEY, message, link, actor=actor)


NEW_PLEDGE = kinds.MONEY  # the notification kind of a new pledge (the owner's preference for it)


def owner_columns(owner_id) -> tuple:
    """What new_pledge needs of the project's owner, for the statement that reserves the room."""
    return addressee_columns(owner_id, NEW_PLEDGE)


def new_pledge(pledge: Pledge, project: Project, donor: User, owner) -> None:
    """`owner`: the row of owner_columns(project.owner_id) that the reservation returned; the
    pledge path loads neither the owner nor their preference with a statement of its own."""
    notify_addressee(project.owner_id, owner, NEW_PLEDGE,
                     _l("New pledge of %(amount)s to %(title)s", amount=_money(pledge.amount_minor, pledge.currency),
                        title=project.title),
                     _project_link(project), actor_id=None if pledge.is_anonymous else donor.id)


def transfer_expected(pledge: Pledge, project: Project) -> None:
    """The host's treasurers: a pledge is to be paid by transfer; they will record the money."""
    _tell(_treasurers(project),
          _l("A pledge of %(amount)s to %(title)s is to be paid by transfer: record it when the money "
             "arrives.", amount=_money(pledge.amount_minor, pledge.currency), title=project.title),
          links.path("sponsorship.payments", slug=project.slug))


def pledge_cancelled(pledge: Pledge, project: Project, actor: User | None) -> None:
    """An unpaid pledge was cancelled: by its donor (`actor`; the owner is told), by a host or an
    admin (the donor and the owner are told), or because the project closed (`actor` None; the
    donor is told not to send the money). Lapsed pledges have their own notice (lapsed)."""
    amount = _money(pledge.amount_minor, pledge.currency)
    if actor is not None and actor.id == pledge.donor_id:
        notify(project.owner, kinds.MONEY,
               _l("A pledge of %(amount)s to %(title)s was withdrawn by its donor: its room is open to "
                  "other donors again.", amount=amount, title=project.title),
               _project_link(project), actor=None if pledge.is_anonymous else actor)
        return
    if actor is not None:  # a host's treasurer or a site admin
        message = _l("Your pledge of %(amount)s to %(title)s was cancelled by the project's host. Please do "
                     "not send the money; if you already have, contact the host.", amount=amount,
                     title=project.title)
        notify(project.owner, kinds.MONEY,
               _l("A pledge of %(amount)s to %(title)s was cancelled by the project's host: its room is open "
                  "to other donors again.", amount=amount, title=project.title),
               _project_link(project), actor=actor)
    elif project.state == "cancelled":
        message = _l("Your pledge of %(amount)s to %(title)s was cancelled: the project was cancelled. "
                     "Please do not send the money.", amount=amount, title=project.title)
    elif project.state == "expired":
        message = _l("Your pledge of %(amount)s to %(title)s was cancelled: the project did not reach its "
                     "goal by its deadline. Please do not send the money.", amount=amount, title=project.title)
    else:  # a keep-what-you-raise project closed at its deadline
        message = _l("Your pledge of %(amount)s to %(title)s was cancelled: the project's funding closed "
                     "before it was paid. Please do not send the money.", amount=amount, title=project.title)
    notify(pledge.donor, kinds.MONEY, message, links.path("sponsorship.pledge_detail", pledge_id=pledge.id),
           actor=actor)


def how_to_pay(pledge: Pledge, project: Project, donor: User, reminder: bool = False,
               lapses_on: datetime | None = None) -> None:
    """The donor's email with what they need to pay a pledge by transfer: the amount, the payment
    reference and the host's bank details, and the day it lapses unpaid (`lapses_on`, if it
    does); `reminder`: it is still unpaid. In their language."""
    subject = (_l("Reminder: your pledge of %(amount)s to %(title)s is awaiting payment",
                  amount=_money(pledge.amount_minor, pledge.currency), title=project.title) if reminder else
               _l("How to pay your pledge of %(amount)s to %(title)s",
                  amount=_money(pledge.amount_minor, pledge.currency), title=project.title))
    queue_templated_email(donor, subject, "email/pledge_how_to_pay.txt", pledge=pledge, project=project,
                          host=project.host, reminder=reminder, lapses_on=lapses_on,
                          link=links.absolute("sponsorship.pledge_detail", pledge_id=pledge.id))


def lapsed(pledge: Pledge, project: Project, days: int) -> None:
    """An unpaid pledge was cancelled after `days`: its donor and the project's owner are told."""
    amount = _money(pledge.amount_minor, pledge.currency)
    notify(pledge.donor, kinds.MONEY,
           _l("Your pledge of %(amount)s to %(title)s was cancelled: it was not paid within %(days)d days. "
              "Its room went back to the project; you can pledge again.", amount=amount, title=project.title,
              days=days),
           links.path("sponsorship.pledge_detail", pledge_id=pledge.id))
    notify(project.owner, kinds.MONEY,
           _l("A pledge of %(amount)s to %(title)s was cancelled, unpaid after %(days)d days: its room is "
              "open to other donors again.", amount=amount, title=project.title, days=days),
           _project_link(project))


def contribution_received(pledge: Pledge, host: User | None) -> None:
    notify(pledge.donor, kinds.MONEY,
           _l("Your contribution of %(amount)s to %(title)s was received. Your receipt is ready.",
              amount=_money(pledge.amount_minor, pledge.currency), title=pledge.project.title),
           links.path("sponsorship.receipt", pledge_id=pledge.id), actor=host)


def goal_reached(project: Project) -> None:
    message = _l("%(title)s reached its funding goal of %(goal)s.", title=project.title,
                 goal=_money(project.goal_minor, project.currency))
    _tell([project.owner, *_donors(project.id), *project.reviewers, *_treasurers(project)], message,
          _project_link(project))


def tranche_released(project: Project, objective_title: str, amount_minor: int, actor: User | None) -> None:
    message = _l("%(amount)s was released to %(title)s: the objective “%(objective)s” was verified.",
                 amount=_money(amount_minor, project.currency), title=project.title, objective=objective_title)
    _tell([project.owner, *_donors(project.id)], message, _project_link(project), actor=actor)


def refunded(pledge: Pledge, share_minor: int, project: Project) -> None:
    reasons = {
        "cancelled": _l("%(amount)s of your contribution to %(title)s was refunded: the project was cancelled.",
                        amount=_money(share_minor, pledge.currency), title=project.title),
        "expired": _l("%(amount)s of your contribution to %(title)s was refunded: the project did not reach "
                      "its goal by its deadline.", amount=_money(share_minor, pledge.currency), title=project.title),
        "completed": _l("%(amount)s of your contribution to %(title)s was refunded: the project is completed "
                        "and this money was not released on a verified objective.",
                        amount=_money(share_minor, pledge.currency), title=project.title),
    }
    message = reasons.get(project.state) or _l(
        "%(amount)s of your contribution to %(title)s was refunded.",
        amount=_money(share_minor, pledge.currency), title=project.title)
    notify(pledge.donor, kinds.MONEY, message, links.path("sponsorship.pledge_detail", pledge_id=pledge.id))


def project_closed(project: Project, refunded_minor: int, actor: User | None) -> None:
    """The owner hears that the project closed and how much went back to its donors."""
    messages = {
        "cancelled": _l("%(title)s is cancelled; %(amount)s went back to its donors.",
                        title=project.title, amount=_money(refunded_minor, project.currency)),
        "expired": _l("%(title)s expired without reaching its goal; %(amount)s went back to its donors.",
                      title=project.title, amount=_money(refunded_minor, project.currency)),
        "completed": _l("%(title)s is completed; %(amount)s not released went back to its donors.",
                        title=project.title, amount=_money(refunded_minor, project.currency)),
    }
    if project.state in messages:
        notify(project.owner, kinds.MONEY, messages[project.state], _project_link(project), actor=actor)
