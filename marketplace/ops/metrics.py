"""Prometheus metrics: per-process series (request and search latency, errors) and series read
from the database at scrape time (outbox backlogs, pledges, jobs), which are the same on every
worker and node.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR (deploy/ does) before the workers start: every
worker then writes its samples there and a scrape of any worker sums them all.
"""

import os
import time

from flask import Flask, g, request
from flask.signals import got_request_exception
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.ops import jobs, readiness
from marketplace.search import replicas
from marketplace.search.models import SearchNode
from marketplace.sponsorship.models import Pledge

disable_created_metrics()  # the *_created series double the output and no dashboard uses them

REQUEST_SECONDS = Histogram("marketplace_request_duration_seconds", "Time to answer a request.",
                            ["endpoint", "method"])
REQUESTS = Counter("marketplace_requests", "Requests answered, by status.", ["endpoint", "status"])
SEARCH_SECONDS = Histogram("marketplace_search_query_duration_seconds",
                           "Time to answer a search query (HTML and API), end to end.", ["endpoint"],
                           buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
ERRORS = Counter("marketplace_errors", "Unhandled exceptions and 5xx answers.", ["kind"])


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            observe(request.endpoint or "unmatched", request.method, response.status_code,
                    time.perf_counter() - started)
        return response

    got_request_exception.connect(_count_exception, app, weak=False)


def observe(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(endpoint, method).observe(seconds)
    REQUESTS.labels(endpoint, str(status)).inc()
    if endpoint.startswith("search.") or endpoint == "api.search":  # pages, suggestions, API
        SEARCH_SECONDS.labels(endpoint).observe(seconds)
    if status >= 500 and endpoint != "ops.readyz":  # a red /readyz is an answer, not an error
        ERRORS.labels("http_5xx").inc()


def _count_exception(sender, exception, **extra) -> None:
    ERRORS.labels(type(exception).__name__).inc()


def exposition() -> bytes:
    """Every series, in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process = CollectorRegistry()
        MultiProcessCollector(process)
    else:
        process = REGISTRY
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return generate_latest(process) + generate_latest(database)


class DatabaseCollector:
    """Series read from the database at scrape time."""

    def collect(self):

        yield _gauge("marketplace_search_backlog",
                     "This node's search lag: log head position minus the position its index applied.",
                     readiness.search_backlog())
        yield from _search_nodes()
        yield _gauge("marketplace_search_backlog_age_seconds",
                     "Age of the oldest search change not yet applied.", readiness.search_backlog_age())
        yield _gauge("marketplace_email_backlog", "Emails due and not yet sent.",
                     readiness.email_backlog())
        yield _gauge("marketplace_email_failed", "Emails given up after every retry.",
                     readiness.email_failed())
        yield from _pledges()
        yield from _jobs()


def _gauge(name: str, doc: str, value: float, labels: dict | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


def _pledges():
    from sqlalchemy import func, select


    count = GaugeMetricFamily("marketplace_pledges", "Pledges by status.", labels=["status"])
    amount = GaugeMetricFamily("marketplace_pledged_minor", "Pledged amounts in minor units.",
                               labels=["status", "currency"])
    rows = db.session.execute(select(Pledge.status, Pledge.currency, func.count(),
                                     func.coalesce(func.sum(Pledge.amount_minor), 0))
                              .group_by(Pledge.status, Pledge.currency)).all()
    by_status: dict[str, int] = {}
    for status, currency, n, total in rows:
        by_status[status] = by_status.get(status, 0) + n
        amount.add_metric([status, currency], total)
    for status, n in sorted(by_status.items()):
        count.add_metric([status], n)
    yield count
    yield amount


def _search_nodes():
    """Every registered search node's lag, as the registry last heard it (stale for a dead node)."""
    lag = GaugeMetricFamily("marketplace_search_node_lag", "Log positions each node has still to apply.",
                            labels=["node"])
    seen = GaugeMetricFamily("marketplace_search_node_heartbeat_timestamp_seconds",
                             "When each search node last recorded its position.", labels=["node"])
    head = replicas.head(db.session)
    for node in db.session.scalars(select(SearchNode).order_by(SearchNode.name)):
        lag.add_metric([node.name], max(0, head - node.applied))
        seen.add_metric([node.name], replicas.aware(node.heartbeat_at).timestamp())
    yield lag
    yield seen


def _jobs():

    last = GaugeMetricFamily("marketplace_job_last_success_timestamp_seconds",
                             "When each scheduled job last finished without error.", labels=["job"])
    for name, finished_at in jobs.last_successes():
        last.add_metric([name], finished_at.timestamp())
    yield last
