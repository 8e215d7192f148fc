"""Logs as one JSON object a line, each with the request id of the request that wrote it.

The id comes from `X-Request-ID` when a trusted proxy set it (TRUSTED_PROXIES > 0) and it looks
like an id, else it is generated; it goes back in the response header and on error pages.
"""

import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_HANDLER_FLAG = "_marketplace_handler"


def request_id() -> str:
    """The current request's id ("-" outside a request); generated once per request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        g.request_id = _incoming() or uuid.uuid4().hex
    return g.request_id


def _incoming() -> str | None:
    from flask import current_app

    value = request.headers.get(HEADER, "")
    if current_app.config["TRUSTED_PROXIES"] and _VALID.fullmatch(value):
        return value
    return None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def formatter(kind: str) -> logging.Formatter:
    if kind == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})


def handler() -> logging.Handler | None:
    """The handler this module put on the root logger (tests point its stream elsewhere)."""
    return next((h for h in logging.getLogger().handlers if getattr(h, _HANDLER_FLAG, False)), None)


def configure(kind: str, level: str) -> logging.Handler:
    """One stderr handler on the root logger, replaced (never duplicated) when called again."""
    root = logging.getLogger()
    old = handler()
    if old is not None:
        root.removeHandler(old)
    new = logging.StreamHandler(sys.stderr)  # today's stderr (a test runner swaps it per test)
    setattr(new, _HANDLER_FLAG, True)
    new.addFilter(RequestIdFilter())
    new.setFormatter(formatter(kind))
    root.addHandler(new)
    root.setLevel(level)
    return new


def init_app(app: Flask) -> None:
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.logger.removeHandler(default_handler)  # Flask's text handler would print each line twice

    @app.after_request
    def _send_request_id(response):
        response.headers[HEADER] = request_id()
        return response

    @app.context_processor
    def _request_id():
        return {"request_id": request_id}
