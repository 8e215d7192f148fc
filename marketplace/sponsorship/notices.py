"""Notifications about pledges, shared by the pages and the JSON API. Called after the pledge's
own commit (a notification never slows or fails the money path); the caller commits again."""


from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from marketplace import links
from marketplace.accounts.models import User
from marketplace.ledger.money import format_minor
from marketplace.notifications.services import notify
from marketplace.sponsorship.models import Pledge


def _amount(pledge: Pledge) -> LazyString:
    """Formatted when the notification is written, in its recipient's locale."""
    return LazyString(format_minor, pledge.amount_minor, pledge.currency)


def new_pledge(pledge: Pledge) -> None:
    project = pledge.project
    notify(project.owner, "generic",
           _l("New pledge of %(amount)s to %(title)s", amount=_amount(pledge), title=project.title),
           links.path("projects.show", slug=project.slug),
           actor=None if pledge.is_anonymous else pledge.donor)


def contribution_received(pledge: Pledge, host: User) -> None:
    notify(pledge.donor, "generic",
           _l("Your contribution of %(amount)s to %(title)s was received. Your receipt is ready.",
              amount=_amount(pledge), title=pledge.project.title),
           links.path("sponsorship.receipt", pledge_id=pledge.id), actor=host)
