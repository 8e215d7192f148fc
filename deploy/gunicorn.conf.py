"""gunicorn settings: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (from the checkout).

Every value can be overridden from the environment (GUNICORN_*), e.g. in the systemd unit.
`kill -HUP <master>` (systemctl reload marketplace-web) starts new workers with the new code and
lets the old ones finish their requests: a graceful reload, no request dropped.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is restarted
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))  # to finish requests on reload/stop
keepalive = 5
max_requests = 2000  # recycle workers now and then (bounded memory), with jitter so not all at once
max_requests_jitter = 200
preload_app = False  # each worker imports the app: HUP then loads new code
# Only the local proxy may say which scheme and client a request came from.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log: one JSON object a line (like the app's), with the request id the app answers with.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": []},  # the app puts its own JSON handler there
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}

# Prometheus multi-process mode: every worker writes its samples here; a scrape sums them.
# It must be set before the workers import prometheus_client, so it is set here, in the master.
metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"marketplace-metrics-{os.getuid()}")))


def on_starting(server):
    shutil.rmtree(metrics_dir, ignore_errors=True)  # samples of a previous run would be summed in
    metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
