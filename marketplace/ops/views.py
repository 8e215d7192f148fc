"""/healthz (the process answers), /readyz (it can serve: JSON per check), /metrics."""

import ipaddress
import secrets

from flask import Blueprint, Response, abort, current_app, request

from marketplace.ops import metrics, readiness

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    results = readiness.run()
    ok = all(r["ok"] for r in results.values())
    if not _may_read_metrics():  # details (hosts, errors, counts) only for the operators' addresses
        results = {name: {"ok": r["ok"]} for name, r in results.items()}
    return {"status": "ok" if ok else "fail", "checks": results}, 200 if ok else 503


@bp.route("/metrics")
def metrics_page():
    if not _may_read_metrics():
        abort(403)
    return Response(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")


def _may_read_metrics() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "")
    if token and secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(net, strict=False) for net in allowed_networks())


def allowed_networks() -> list[str]:
    value = current_app.config["METRICS_ALLOWED_IPS"] or []
    if isinstance(value, str):  # MARKETPLACE_METRICS_ALLOWED_IPS=10.0.0.0/8,127.0.0.1
        value = value.split(",")
    return [v.strip() for v in value if v.strip()]
