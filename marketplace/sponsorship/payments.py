"""Payment providers: how a pledge becomes money received.

A provider is any object with a `name` and `start(pledge, confirm) -> str | None` (a URL to send
the donor to, or None); `confirm` is `services.confirm_pledge`, handed in by the caller so that
this module does not import services (which imports it). Two real ones:

- `manual`: nothing happens online; the pledge stays "pledged" until a host or admin records that
  the money arrived (a bank transfer, a grant disbursement): `services.confirm_pledge`.
- `instant`: confirmed at once (demos, tests, in-kind pledges already in hand).
- `stripe`: card payments through Stripe Checkout (`stripe_checkout.py`); the donor is sent to
  Stripe's page and the signed webhook confirms the pledge.

A card processor plugs in the same way: its `start` creates a checkout session at the processor
(passing `pledge.id` as metadata) and returns the processor's URL; a webhook view verifies the
processor's signature and calls `services.confirm_pledge(pledge, None, provider_reference=...)`
(idempotent: a replayed webhook gets a Conflict, which the view answers with 200). Register it in
PROVIDERS and name it in the PAYMENT_PROVIDER setting. No card data ever touches this app.
"""

from collections.abc import Callable
from typing import Protocol

from flask import current_app
from sqlalchemy import inspect

from marketplace.extensions import db
from marketplace.sponsorship.models import Pledge
from marketplace.sponsorship.stripe_checkout import StripeCheckoutProvider

Confirm = Callable[..., object]


class PaymentProvider(Protocol):
    name: str

    def start(self, pledge: Pledge, confirm: Confirm) -> str | None: ...


class ManualProvider:
    name = "manual"

    def start(self, pledge: Pledge, confirm: Confirm) -> str | None:
        return None


class InstantProvider:
    name = "instant"

    def start(self, pledge: Pledge, confirm: Confirm) -> str | None:
        confirm(pledge, None, provider_reference="instant", just_created=True)
        return None


PROVIDERS: dict[str, PaymentProvider] = {
    p.name: p for p in (ManualProvider(), InstantProvider(), StripeCheckoutProvider())}


def provider_name(requested: str | None = None) -> str:
    name = requested or current_app.config.get("PAYMENT_PROVIDER", "manual")
    if name not in PROVIDERS:
        raise ValueError(f"unknown payment provider {name!r}")
    return name


def start(pledge: Pledge, confirm: Confirm) -> str | None:
    """Hand a freshly recorded pledge to its provider; returns a URL to redirect to, if any (also
    kept for `redirect_url`, since record_pledge returns the pledge)."""
    db.session.flush()
    url = PROVIDERS[pledge.provider].start(pledge, confirm)
    inspect(pledge).info["redirect_url"] = url
    return url


def redirect_url(pledge: Pledge) -> str | None:
    """Where `start` said to send the donor in this session (a checkout page), if anywhere."""
    return inspect(pledge).info.get("redirect_url")


def is_online(pledge: Pledge) -> bool:
    """The donor pays this pledge on the provider's page (and may start again if they left it)."""
    return bool(getattr(PROVIDERS.get(pledge.provider), "online", False))
