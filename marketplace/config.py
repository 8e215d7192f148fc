"""Default settings. Environment variables (MARKETPLACE_*) and instance/config.py override them."""

DEFAULTS = {
    "PRODUCTION": False,
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # A pooled connection idle this long is pinged before use (database.ping_when_idle); -1: never.
    "DB_PING_AFTER_IDLE_SECONDS": 1.0,
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,  # request bodies (forms, JSON); larger ones get 413
    # PostgreSQL per-connection limits, milliseconds (0: none); a request that hits one answers 503.
    "DB_STATEMENT_TIMEOUT_MS": 15_000,
    "DB_LOCK_TIMEOUT_MS": 5_000,
    "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": 60_000,
    "DB_CONNECT_TIMEOUT": 2,  # seconds (libpq's minimum): an unreachable database is a quick 503
    "SEARCH_INDEX_DIR": None,  # None: instance/search-index
    "LANGUAGES": ["en", "fr", "es"],
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
    "LOGIN_SESSION_DAYS": 30,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URL": "memory://",
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_HEADERS_ENABLED": True,
    "TRUSTED_PROXIES": 0,  # reverse proxies in front (nginx: 1); else X-Forwarded-For is ignored
    "RATELIMIT_HEADER_LIMIT": "RateLimit-Limit",
    "RATELIMIT_HEADER_REMAINING": "RateLimit-Remaining",
    "RATELIMIT_HEADER_RESET": "RateLimit-Reset",
    "RATELIMIT_HEADER_RETRY_AFTER": "Retry-After",
    "RATELIMIT_API": "300 per minute",
    # Actions that send mail, create an account or notify someone (per address and per user).
    "RATELIMIT_REGISTER": "5 per hour",
    "RATELIMIT_FORGOT_PASSWORD": "5 per hour",
    "RATELIMIT_EMAIL_CHANGE": "5 per hour",
    "RATELIMIT_CONFIRMATION_EMAIL": "5 per hour",
    "RATELIMIT_MENTORING": "20 per hour",
    "RATELIMIT_PLEDGE": "30 per hour",
    "RATELIMIT_FLAG": "20 per hour",
    "RATELIMIT_ORGANIZATION_MEMBER": "20 per hour",
    "MAIL_BACKEND": "outbox",  # "outbox" captures mail (development, tests); "smtp" sends it
    # "background": one sender thread per process takes what commits queued, in batches;
    # "inline": sent before the request returns. None: background with smtp, inline otherwise.
    "MAIL_DELIVERY": None,
    "MAIL_BATCH_SECONDS": 0.2,  # background: how long the sender waits to batch a burst of emails
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": False,
    "MAIL_DEFAULT_SENDER": "marketplace <no-reply@localhost>",
    "PASSWORD_RESET_MAX_AGE": 60 * 60,
    "PASSWORD_HASH_METHOD": "scrypt",  # werkzeug's method string; tests use a fast one
    "SITE_NAME": "marketplace",
    "PER_PAGE": 20,
    "WORLDMAP_CACHE_SECONDS": 60,  # how long a process keeps the world map's counts (0: no cache)
    "PUBLIC_URL": "http://127.0.0.1:5000",  # base of absolute links when SERVER_NAME is unset
    # Payments (marketplace/sponsorship/payments.py): "manual" (a host records the money) or "stripe".
    "PAYMENT_PROVIDER": "manual",
    # Pledges paid by transfer: the donor is reminded this many days after pledging (and again
    # each such period), and an unpaid pledge is cancelled, its room given back, after
    # PLEDGE_LAPSE_DAYS (0: never). `marketplace projects remind-unpaid` (a daily job) does both.
    "PLEDGE_REMIND_DAYS": 7,
    "PLEDGE_LAPSE_DAYS": 30,
    "STRIPE_SECRET_KEY": None,  # sk_live_... / sk_test_... (PAYMENT_PROVIDER="stripe")
    "STRIPE_WEBHOOK_SECRET": None,  # whsec_...: verifies POST /sponsorship/webhooks/stripe
    "STRIPE_API_BASE": None,  # None: https://api.stripe.com (tests point it at a local stand-in)
    "STRIPE_WEBHOOK_TOLERANCE": 300,  # seconds an event's signed timestamp may be old
    # Operations (marketplace/ops): readiness thresholds, logs, metrics, error reporting.
    "READYZ_SEARCH_BACKLOG_MAX": 1000,  # /readyz fails past this many unapplied search changes
    "READYZ_EMAIL_BACKLOG_MAX": 500,  # ... or this many emails due and not sent
    "LOG_FORMAT": "json",  # "json" (one object a line, with request_id) or "text"
    "LOG_LEVEL": "INFO",
    "METRICS_ALLOWED_IPS": ["127.0.0.1", "::1"],  # addresses/networks that may read /metrics
    "METRICS_TOKEN": None,  # or a bearer token that may read /metrics from anywhere
    "SENTRY_DSN": None,  # error reporting to Sentry when set
    "SENTRY_TRACES_SAMPLE_RATE": 0.0,
    "NODE_NAME": None,  # this node's name in job records and logs; None: the host name
    # Search replicas (every node has its own index following the change log in the database).
    "SEARCH_NODE_LIVE_SECONDS": 15 * 60,  # a node silent this long no longer holds back pruning
    "SEARCH_LOG_PRUNE_SECONDS": 60,  # how often a drain prunes log rows every live node applied
    "SEARCH_LOG_GAP_SECONDS": 30,  # a hole in the log younger than this may still be committing
    # Evidence files (marketplace/files): storage, limits per kind of file, per-user quota.
    "FILES_STORAGE": "local",  # "local" (FILES_DIR) or "s3" (an S3-compatible bucket)
    "FILES_DIR": None,  # None: instance/files
    "FILES_S3_BUCKET": None,
    "FILES_S3_PREFIX": "",  # e.g. "files/": object keys are PREFIX + sha256
    "FILES_S3_ENDPOINT_URL": None,  # None: AWS; else the S3-compatible server's URL
    "FILES_S3_REGION": None,
    "FILES_S3_ACCESS_KEY_ID": None,  # None: boto3's usual credential chain
    "FILES_S3_SECRET_ACCESS_KEY": None,
    "FILES_MAX_BYTES": {"document": 20_000_000, "office": 20_000_000, "text": 2_000_000,
                        "image": 10_000_000},  # per kind: PDF, ODF/OOXML, text/Markdown/CSV, images
    "FILES_USER_QUOTA_BYTES": 200_000_000,  # what one person's attached files may add up to
    "FILES_IMAGE_MAX_PIXELS": 40_000_000,  # larger images are refused (decompression bombs)
    "FILES_THUMB_SIZE": 320,  # thumbnails fit in this many pixels square
    "FILES_ZIP_MAX_ENTRIES": 5_000,  # office documents (zip) with more entries are refused
    "FILES_ZIP_MAX_UNCOMPRESSED": 200_000_000,  # ... or expanding past this many bytes
    "FILES_EXTRACT": None,  # text extraction after commit: "thread", "sync" or "manual" (None: thread; tests manual)
    "FILES_EXTRACT_MAX_PAGES": 500,  # pages of a PDF whose text is extracted
}

# Values that must never be used as a production secret.
UNSAFE_SECRETS = {"", "dev", "changeme", "secret", "development"}
