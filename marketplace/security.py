"""Security headers on every response; the rate limiter's per-app set-up."""

from flask import Flask, current_app, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace.extensions import limiter

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXIES"]
    if hops:  # behind N reverse proxies: trust their X-Forwarded-* (client address, https)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["PRODUCTION"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


# One module-level Limiter serves every app a process creates (tests, re-created workers). Settings
# the house never varies are fixed where the Limiter is built (extensions.py); Flask-Limiter reads
# the rest from each app's config in init_app(). Its own RATELIMIT_KEY_PREFIX would stick to the
# first app's value, so the app's prefix goes to the storage instead (Redis: the `key_prefix`
# storage option, re-applied by every init_app; memory: each app gets a new storage anyway).
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://", "redis+unix://")


def init_limiter(app: Flask) -> None:
    config = app.config
    prefix = config.pop("RATELIMIT_KEY_PREFIX", "") or ""
    if str(config["RATELIMIT_STORAGE_URL"]).startswith(_REDIS_SCHEMES):
        config.update(RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"LIMITS:{prefix}" if prefix else "LIMITS"})
    limiter.init_app(app)


def _user_or_address() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else f"ip:{request.remote_addr}"


def action_limit(name: str):
    """Rate-limit a view that sends mail, creates an account or notifies someone: its POSTs count
    per client address and per signed-in user, against the setting RATELIMIT_<NAME>."""
    setting = f"RATELIMIT_{name.upper()}"

    def value() -> str:
        return current_app.config[setting]

    by_address = limiter.limit(value, methods=["POST"], scope=f"{name}:address")
    by_user = limiter.limit(value, key_func=_user_or_address, methods=["POST"], scope=f"{name}:user")
    return lambda view: by_address(by_user(view))
