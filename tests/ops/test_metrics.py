"""/metrics exposes the series an operator watches, to allowed addresses or a token only."""

import re

import pytest

from marketplace import search
from marketplace.extensions import db
from marketplace.notifications.models import EmailOutbox


def _value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} not in /metrics"
    return float(match.group(1))


def _count(text: str, series: str) -> float:
    return _value(text, series) if f"{series} " in text else 0.0


def test_metrics_expose_latency_backlogs_pledges_and_errors(app, client, make_open_project, make_donor,
                                                            pledge):
    project = make_open_project()
    donor = make_donor()
    pledge(donor, project, "12.50")
    pledge(donor, project, "5", provider="manual")
    db.session.add(EmailOutbox(recipient="x@example.org", subject="s", body="b", status="failed"))
    db.session.commit()
    search.wait_until_indexed(10)
    before = client.get("/metrics").get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert client.get("/search?q=water").status_code == 200
    text = client.get("/metrics").get_data(as_text=True)

    home = 'marketplace_request_duration_seconds_count{endpoint="main.home",method="GET"}'
    assert _count(text, home) == _count(before, home) + 1
    assert _value(text, 'marketplace_search_query_duration_seconds_count{endpoint="search.index"}') >= 1
    assert re.search(r'^marketplace_request_duration_seconds_bucket\{endpoint="search.index",le="0.05"',
                     text, re.MULTILINE)
    assert _value(text, 'marketplace_requests_total{endpoint="main.home",status="200"}') >= 1
    assert _value(text, "marketplace_search_backlog") == 0
    assert _value(text, "marketplace_email_failed") == 1
    assert "marketplace_email_backlog " in text
    assert _value(text, 'marketplace_pledges{status="confirmed"}') == 1
    assert _value(text, 'marketplace_pledges{status="pledged"}') == 1
    assert _value(text, 'marketplace_pledged_minor{currency="EUR",status="confirmed"}') == 1250


def test_errors_are_counted(app, client):
    def fail():
        raise RuntimeError("kaboom")

    app.add_url_rule("/boom", "boom", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    series = 'marketplace_errors_total{kind="RuntimeError"}'
    before = client.get("/metrics").get_data(as_text=True)
    assert client.get("/boom").status_code == 500
    after = client.get("/metrics").get_data(as_text=True)
    assert _count(after, series) == _count(before, series) + 1


def test_search_backlog_is_exposed(app, client, make_user):
    make_user()
    make_user()
    assert _value(client.get("/metrics").get_data(as_text=True), "marketplace_search_backlog") >= 2


@pytest.mark.parametrize("address", ["10.1.2.3", "2001:db8::1"])
def test_other_addresses_are_refused(client, address):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 403


def test_allowed_network_and_token(app, client):
    app.config["METRICS_ALLOWED_IPS"] = "10.0.0.0/8, 192.168.1.7"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403
    app.config["METRICS_TOKEN"] = "scrape-token-0123456789"
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer scrape-token-0123456789"}).status_code == 200
