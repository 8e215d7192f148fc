"""Card payments through Stripe Checkout, against a stand-in for Stripe's HTTP API on loopback.

The official `stripe` library makes its real HTTP calls (to STRIPE_API_BASE); webhook events are
signed here exactly as Stripe signs them: `t=<unix time>,v1=<HMAC-SHA256(secret, "t.payload")>`.
"""

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import AuditEvent
from marketplace.config import DEFAULTS
from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransaction
from marketplace.notifications.models import Notification
from marketplace.sponsorship import services
from marketplace.sponsorship.models import Pledge
from tests.conftest import PG_URL, base_config, database_url

SECRET_KEY = "sk_test_standin_0123456789"
WEBHOOK_SECRET = "whsec_test_standin_secret_0123456789"
WEBHOOK = "/sponsorship/webhooks/stripe"


class StandInStripe(ThreadingHTTPServer):
    """The part of Stripe's API that Checkout Session creation uses: POST /v1/checkout/sessions."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sessions: list[dict] = []  # the form fields of each accepted request
        self.fail_with: int | None = None  # answer every request with this status (an outage)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StandInStripe

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return self._answer(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}})
        if self.path != "/v1/checkout/sessions":
            return self._answer(404, {"error": {"type": "invalid_request_error", "message": "Unrecognized URL"}})
        if self.server.fail_with:
            return self._answer(self.server.fail_with, {"error": {"type": "api_error", "message": "down"}})
        fields = dict(parse_qsl(body))
        self.server.sessions.append(fields)
        sid = f"cs_test_{len(self.server.sessions)}"
        self._answer(200, {
            "id": sid, "object": "checkout.session", "mode": fields.get("mode"),
            "amount_total": int(fields["line_items[0][price_data][unit_amount]"]),
            "currency": fields["line_items[0][price_data][currency]"],
            "metadata": {"pledge_id": fields.get("metadata[pledge_id]")},
            "payment_status": "unpaid", "status": "open",
            "success_url": fields.get("success_url"), "cancel_url": fields.get("cancel_url"),
            "url": f"https://checkout.stripe.test/c/pay/{sid}",
        })

    def _answer(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_standin")
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def stripe_api():
    server = StandInStripe()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _stripe_settings(stripe_api) -> dict:
    return {"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": stripe_api.base}


@pytest.fixture
def app_config(schema_template, tmp_path, stripe_api):
    return base_config(tmp_path, DATABASE_URL=database_url(schema_template, tmp_path), **_stripe_settings(stripe_api))


def sign(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def paid_event(pledge_id, amount_minor: int, currency: str = "eur", event_id: str = "evt_1",
               kind: str = "checkout.session.completed", payment_status: str = "paid") -> str:
    return json.dumps({
        "id": event_id, "object": "event", "type": kind, "api_version": "2025-01-27.acacia",
        "created": int(time.time()), "livemode": False,
        "data": {"object": {
            "id": "cs_test_1", "object": "checkout.session", "mode": "payment",
            "amount_total": amount_minor, "currency": currency, "payment_status": payment_status,
            "payment_intent": "pi_test_1", "metadata": {"pledge_id": str(pledge_id)},
            # the rest of what Stripe sends, so the app's input gate sees a real-shaped event
            "client_reference_id": str(pledge_id), "status": "complete", "livemode": False,
            "customer_details": {"email": "card@example.org", "name": "Amina Wanjiru", "phone": None,
                                 "address": {"city": "Kisumu", "country": "KE", "line1": "Oginga Odinga Rd",
                                             "line2": None, "postal_code": "40100", "state": None},
                                 "tax_exempt": "none", "tax_ids": []},
            "payment_method_types": ["card"], "amount_subtotal": amount_minor,
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "success_url": "http://localhost/sponsorship/pledges/1?paid=1", "expires_at": int(time.time()) + 86400}},
    })


def post_event(client, payload: str, signature: str | None = None):
    headers = {"Content-Type": "application/json"}
    if signature != "":
        headers["Stripe-Signature"] = signature or sign(payload)
    return client.post(WEBHOOK, data=payload, headers=headers)


@pytest.fixture
def card_pledge(make_open_project, make_donor):
    """card_pledge(amount="25") -> a committed "pledged" pledge whose checkout session exists."""
    def make(amount="25", goal_minor=10_000):
        project = make_open_project(goal_minor=goal_minor)
        pledge, _created = services.record_pledge(make_donor(), project, amount, idempotency_key="card-pledge-0001")
        db.session.commit()
        return pledge
    return make


def contributions() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerTransaction)
                             .where(LedgerTransaction.kind == "contribution"))


def audits(action="payment.recorded") -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _nonce(html: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


# --- starting a card payment ------------------------------------------------------------------


def test_a_card_pledge_sends_the_donor_to_a_checkout_session(client, auth, make_open_project, make_donor,
                                                           stripe_api):
    project = make_open_project(goal_minor=10_000, currency="EUR", title="Clean water for Kisumu")
    make_donor(email="card@example.org")
    auth.login("card@example.org")
    page = client.get(f"/sponsorship/projects/{project.slug}/pledge").get_data(as_text=True)
    assert "You will be taken to Stripe to pay by card" in page
    response = client.post(f"/sponsorship/projects/{project.slug}/pledge",
                           data={"amount": "25.50", "idempotency_key": _nonce(page)})

    assert (response.status_code, response.headers["Location"]) == (302, "https://checkout.stripe.test/c/pay/cs_test_1")
    pledge = db.session.scalar(select(Pledge))
    assert (pledge.status, pledge.provider, pledge.amount_minor) == ("pledged", "stripe", 2550)
    [sent] = stripe_api.sessions
    assert sent["mode"] == "payment"
    assert sent["line_items[0][price_data][currency]"] == "eur"
    assert sent["line_items[0][price_data][unit_amount]"] == "2550"
    assert sent["line_items[0][price_data][product_data][name]"] == "Clean water for Kisumu"
    assert sent["metadata[pledge_id]"] == str(pledge.id)
    assert sent["success_url"] == f"http://localhost/sponsorship/pledges/{pledge.id}?paid=1"
    assert sent["cancel_url"] == f"http://localhost/sponsorship/pledges/{pledge.id}"
    assert contributions() == 0


def test_a_donor_who_left_checkout_can_pay_again_and_no_one_else_can(client, auth, card_pledge, make_donor,
                                                                      stripe_api):
    pledge = card_pledge()
    auth.login(pledge.donor.email)
    detail = client.get(f"/sponsorship/pledges/{pledge.id}").get_data(as_text=True)
    assert "Pay €25.00 by card" in detail and "IBAN" not in detail
    back = client.get(f"/sponsorship/pledges/{pledge.id}?paid=1").get_data(as_text=True)  # Stripe's success_url
    assert "Stripe is confirming your card payment" in back and "by card</button>" not in back
    again = client.post(f"/sponsorship/pledges/{pledge.id}/pay")
    assert again.headers["Location"] == "https://checkout.stripe.test/c/pay/cs_test_2"
    auth.logout()
    make_donor(email="other@example.org")
    auth.login("other@example.org")
    assert client.post(f"/sponsorship/pledges/{pledge.id}/pay").status_code == 403
    assert len(stripe_api.sessions) == 2


def test_when_stripe_is_down_nothing_is_recorded(client, auth, make_open_project, make_donor, stripe_api):
    stripe_api.fail_with = 500
    project = make_open_project(goal_minor=10_000)
    make_donor(email="card@example.org")
    auth.login("card@example.org")
    page = client.get(f"/sponsorship/projects/{project.slug}/pledge").get_data(as_text=True)
    response = client.post(f"/sponsorship/projects/{project.slug}/pledge",
                           data={"amount": "10", "idempotency_key": _nonce(page)})
    assert response.status_code == 503
    assert "Card payment is unavailable right now" in response.get_data(as_text=True)
    db.session.refresh(project)
    assert (db.session.scalar(select(func.count()).select_from(Pledge)), project.raised_minor) == (0, 0)


def test_the_manual_host_flow_stays_the_default(app, client, auth, make_open_project, make_donor, stripe_api):
    assert DEFAULTS["PAYMENT_PROVIDER"] == "manual"
    app.config["PAYMENT_PROVIDER"] = DEFAULTS["PAYMENT_PROVIDER"]
    project = make_open_project()
    make_donor(email="bank@example.org")
    auth.login("bank@example.org")
    page = client.get(f"/sponsorship/projects/{project.slug}/pledge").get_data(as_text=True)
    assert "Stripe" not in page and "The project's host records your payment" in page
    response = client.post(f"/sponsorship/projects/{project.slug}/pledge",
                           data={"amount": "10", "idempotency_key": _nonce(page)})
    assert response.headers["Location"].startswith("/sponsorship/pledges/")
    assert db.session.scalar(select(Pledge.provider)) == "manual" and stripe_api.sessions == []


# --- the webhook ------------------------------------------------------------------------------


def test_a_signed_webhook_confirms_the_pledge_once(client, card_pledge, ledger_clean):
    pledge = card_pledge("25")
    payload = paid_event(pledge.id, 2500)

    response = post_event(client, payload)
    assert (response.status_code, response.json["outcome"]) == (200, "confirmed")
    db.session.refresh(pledge)
    assert (pledge.status, pledge.provider_reference) == ("confirmed", "pi_test_1")
    assert pledge.contribution_id is not None and contributions() == 1
    assert ledger_clean() == []
    [notice] = db.session.scalars(select(Notification).where(Notification.recipient_id == pledge.donor_id))
    assert "was received" in notice.message and f"/sponsorship/receipts/{pledge.id}" in notice.link
    [audit] = audits()
    assert audit.detail["source"] == "stripe" and audit.detail["reference"] == "pi_test_1"

    replay = post_event(client, payload)  # Stripe delivers at least once
    assert (replay.status_code, replay.json["outcome"]) == (200, "duplicate")
    assert contributions() == 1 and len(audits()) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.recipient_id == pledge.donor_id)) == 1
    assert ledger_clean() == []


def test_the_webhook_needs_no_csrf_token_nor_login_but_pay_does(app, client, auth, card_pledge):
    app.config["WTF_CSRF_ENABLED"] = True
    pledge = card_pledge("25")
    assert post_event(client, paid_event(pledge.id, 2500)).json["outcome"] == "confirmed"
    auth.login(pledge.donor.email)
    assert client.post(f"/sponsorship/pledges/{pledge.id}/pay").status_code == 400  # no CSRF token


def test_the_last_payment_by_card_funds_the_project(client, card_pledge, ledger_clean):
    pledge = card_pledge("100", goal_minor=10_000)
    assert post_event(client, paid_event(pledge.id, 10_000)).status_code == 200
    db.session.refresh(pledge.project)
    assert pledge.project.state == "funded" and ledger_clean() == []


@pytest.mark.parametrize("forge", ["wrong secret", "edited body", "stale", "unsigned", "garbage"])
def test_a_forged_or_stale_webhook_is_refused_and_changes_nothing(client, card_pledge, forge, caplog):
    pledge = card_pledge("25")
    payload = paid_event(pledge.id, 2500)
    signature = {
        "wrong secret": sign(payload, secret="whsec_someone_else"),
        "edited body": sign(payload.replace("2500", "1")),  # signed, but not what is sent
        "stale": sign(payload, at=int(time.time()) - 301),
        "unsigned": "",
        "garbage": "t=abc,v1=zzz",
    }[forge]
    with caplog.at_level(logging.WARNING):
        response = post_event(client, payload, signature)
    assert response.status_code == 400
    db.session.refresh(pledge)
    assert (pledge.status, contributions(), audits()) == ("pledged", 0, [])
    assert "stripe webhook refused" in caplog.text


def test_a_webhook_for_an_unknown_pledge_is_acknowledged_and_logged(client, card_pledge, caplog):
    pledge = card_pledge("25")
    manual = services.record_pledge(pledge.donor, pledge.project, "5", idempotency_key="manual-pledge-01",
                                    provider="manual")[0]
    db.session.commit()
    with caplog.at_level(logging.WARNING):
        unknown = post_event(client, paid_event(999_999, 2500, event_id="evt_unknown"))
        not_card = post_event(client, paid_event(manual.id, 500, event_id="evt_manual"))
    assert [r.json["outcome"] for r in (unknown, not_card)] == ["unknown_pledge", "unknown_pledge"]
    assert unknown.status_code == not_card.status_code == 200
    assert "evt_unknown" in caplog.text and "evt_manual" in caplog.text
    assert contributions() == 0 and manual.status == "pledged"


@pytest.mark.parametrize("amount, currency", [(2499, "eur"), (2500, "usd")])
def test_a_payment_that_does_not_match_the_pledge_is_not_confirmed(client, card_pledge, amount, currency, caplog):
    pledge = card_pledge("25")
    with caplog.at_level(logging.ERROR):
        response = post_event(client, paid_event(pledge.id, amount, currency))
    assert (response.status_code, response.json["outcome"]) == (200, "mismatch")
    db.session.refresh(pledge)
    assert (pledge.status, contributions()) == ("pledged", 0)
    assert "not confirmed" in caplog.text


def test_a_delayed_payment_is_confirmed_when_it_succeeds(client, card_pledge):
    pledge = card_pledge("25")
    pending = post_event(client, paid_event(pledge.id, 2500, payment_status="unpaid"))
    assert (pending.json["outcome"], contributions()) == ("ignored", 0)
    done = post_event(client, paid_event(pledge.id, 2500, event_id="evt_2",
                                         kind="checkout.session.async_payment_succeeded"))
    assert (done.json["outcome"], contributions()) == ("confirmed", 1)


def test_a_payment_for_a_withdrawn_pledge_is_logged_for_a_refund(client, card_pledge, caplog):
    pledge = card_pledge("25")
    services.cancel_pledge(pledge, pledge.donor)
    db.session.commit()
    with caplog.at_level(logging.ERROR):
        response = post_event(client, paid_event(pledge.id, 2500))
    assert (response.status_code, response.json["outcome"]) == (200, "not_payable")
    assert contributions() == 0 and "refund it at Stripe" in caplog.text


# --- PostgreSQL: two deliveries at once -------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
@pytest.mark.parametrize("round_", range(5))
def test_two_identical_webhooks_at_once_confirm_once(app, card_pledge, ledger_clean, round_):
    pledge = card_pledge("25")
    payload = paid_event(pledge.id, 2500)
    signature = sign(payload)
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def deliver(i):
        client = app.test_client()
        barrier.wait()
        response = client.post(WEBHOOK, data=payload,
                               headers={"Content-Type": "application/json", "Stripe-Signature": signature})
        answers[i] = (response.status_code, response.json["outcome"])

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers) == [(200, "confirmed"), (200, "duplicate")]
    db.session.expire_all()
    assert contributions() == 1 and len(audits()) == 1
    assert db.session.get(Pledge, pledge.id).status == "confirmed" and ledger_clean() == []
