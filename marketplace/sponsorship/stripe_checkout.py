"""Card payments through Stripe Checkout (PAYMENT_PROVIDER="stripe"). No card data touches this app.

`start` creates a Checkout Session for an unpaid pledge and returns its URL (the donor pays on
Stripe's page); the pledge stays "pledged" until Stripe's signed `checkout.session.completed`
webhook arrives and `record_event` confirms it. Settings: STRIPE_SECRET_KEY,
STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE (tests: a stand-in server on loopback),
STRIPE_WEBHOOK_TOLERANCE (seconds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _

from marketplace import links
from marketplace.accounts.services import record_audit
from marketplace.errors import Conflict, DomainError
from marketplace.extensions import db
from marketplace.sponsorship.models import Pledge, PledgeStatus

if TYPE_CHECKING:  # the library (5 MB) is imported where it is called: most sites never enable cards
    import stripe
    from stripe.params.checkout import SessionCreateParams

log = logging.getLogger(__name__)

# A paid session: `completed` with payment_status "paid" (cards), or, for delayed methods such as
# bank debits, `async_payment_succeeded` later.
PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}


class StripeUnavailable(DomainError):
    status = 503
    code = "payment_provider_unavailable"


def _setting(name: str) -> str:
    value = current_app.config.get(name)
    if not value:
        raise RuntimeError(f"PAYMENT_PROVIDER is 'stripe' but {name} is not set")
    return value


def client() -> stripe.StripeClient:
    import stripe

    base = current_app.config.get("STRIPE_API_BASE")
    return stripe.StripeClient(_setting("STRIPE_SECRET_KEY"), base_addresses={"api": base} if base else {},
                               max_network_retries=1)


def session_params(pledge: Pledge) -> SessionCreateParams:
    project = pledge.project
    return {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": pledge.currency.lower(), "unit_amount": pledge.amount_minor,
            "product_data": {"name": project.title[:250]}}}],
        "metadata": {"pledge_id": str(pledge.id)},
        "payment_intent_data": {"metadata": {"pledge_id": str(pledge.id)}},
        "client_reference_id": str(pledge.id),
        "success_url": links.absolute("sponsorship.pledge_detail", pledge_id=pledge.id, paid=1),
        "cancel_url": links.absolute("sponsorship.pledge_detail", pledge_id=pledge.id),
    }


class StripeCheckoutProvider:
    name = "stripe"
    online = True

    def start(self, pledge: Pledge, confirm: Callable[..., object]) -> str | None:
        """Create a Checkout Session; returns its URL. StripeUnavailable (503) if Stripe refuses."""
        import stripe

        try:
            session = client().v1.checkout.sessions.create(params=session_params(pledge))
        except stripe.StripeError as err:
            log.warning("stripe checkout session for pledge %s failed: %s", pledge.id, err)
            raise StripeUnavailable(_("Card payment is unavailable right now; nothing was recorded. "
                                      "Try again in a few minutes.")) from err
        return session.url


def verify(payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if Stripe signed this payload recently; ValueError otherwise (bad signature, stale
    timestamp, not JSON)."""
    if not signature:
        raise ValueError("no Stripe-Signature header")
    import stripe

    try:
        return stripe.Webhook.construct_event(
            payload, signature, _setting("STRIPE_WEBHOOK_SECRET"),
            tolerance=int(current_app.config.get("STRIPE_WEBHOOK_TOLERANCE") or 300))
    except stripe.SignatureVerificationError as err:
        raise ValueError(str(err)) from err


def record_event(event: stripe.Event, confirm: Callable[..., object], ip: str | None = None) -> str:
    """Confirm the pledge a paid Checkout Session is for, at most once; returns what happened:
    "confirmed", "duplicate", "ignored", "unknown_pledge", "mismatch" or "not_payable".
    Never commits; `confirm` is services.confirm_pledge."""
    if event.type not in PAID_EVENTS:
        return "ignored"
    session = event.data.object.to_dict()
    if session.get("payment_status") != "paid":
        return "ignored"  # a delayed method: async_payment_succeeded follows
    pledge = _pledge_for(session)
    if pledge is None:
        log.warning("stripe event %s: no stripe pledge %r", event.id, (session.get("metadata") or {}).get("pledge_id"))
        return "unknown_pledge"
    paid = (session.get("amount_total"), str(session.get("currency", "")).upper())
    if paid != (pledge.amount_minor, pledge.currency):
        log.error("stripe event %s: paid %s %s for pledge %s of %s %s; not confirmed", event.id, *paid,
                  pledge.id, pledge.amount_minor, pledge.currency)
        return "mismatch"
    reference = str(session.get("payment_intent") or session.get("id"))
    try:
        confirm(pledge, None, provider_reference=reference)
    except Conflict:
        return _already(event, pledge, reference)
    record_audit("payment.recorded", None, pledge, ip, source="stripe", amount_minor=pledge.amount_minor,
                 currency=pledge.currency, reference=reference, event=event.id)
    return "confirmed"


def _pledge_for(session: dict[str, Any]) -> Pledge | None:
    raw = (session.get("metadata") or {}).get("pledge_id") or session.get("client_reference_id")
    try:
        pledge = db.session.get(Pledge, int(raw))
    except (TypeError, ValueError):
        return None
    return pledge if pledge is not None and pledge.provider == StripeCheckoutProvider.name else None


def _already(event: stripe.Event, pledge: Pledge, reference: str) -> str:
    db.session.refresh(pledge)
    if pledge.status != PledgeStatus.PLEDGED and pledge.provider_reference == reference:
        return "duplicate"  # a replayed or concurrent delivery of the same payment
    log.error("stripe event %s: pledge %s was paid (%s) but is %s; refund it at Stripe or record it by hand",
              event.id, pledge.id, reference, pledge.status)
    return "not_payable"
