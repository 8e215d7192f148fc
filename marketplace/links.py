"""Links built from the app's URL map and configuration, never from the request's Host.

`path()` is for links stored in the database (notifications); `absolute()` for mail, API
bodies and feeds. The base is `PREFERRED_URL_SCHEME://SERVER_NAME` + `APPLICATION_ROOT` when
SERVER_NAME is set, otherwise `PUBLIC_URL` (development: http://127.0.0.1:5000). Both work
inside and outside a request (CLI, workers, seeders, tests)."""

from urllib.parse import quote, urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter

_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"  # what Flask's url_for leaves unquoted in an anchor


def _adapter() -> MapAdapter:
    config = current_app.config
    if config.get("SERVER_NAME"):
        return current_app.url_map.bind(
            config["SERVER_NAME"], script_name=config.get("APPLICATION_ROOT") or "/",
            url_scheme=config.get("PREFERRED_URL_SCHEME") or "http")
    base = urlsplit(config["PUBLIC_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                    url_scheme=base.scheme or "http")


def _build(endpoint: str, values: dict, external: bool) -> str:
    anchor = values.pop("_anchor", None)
    url = _adapter().build(endpoint, values, force_external=external)
    return f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}" if anchor else url


def origin() -> str:
    """`scheme://host` of the configured base (never the request's Host), without a path."""
    config = current_app.config
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    base = urlsplit(config["PUBLIC_URL"])
    return f"{base.scheme or 'http'}://{base.netloc}"


def absolute_path(link: str) -> str:
    """A stored in-app link (from `path()`, which carries the application root) made absolute
    with the configured origin; a link that is already absolute (or empty) is returned as is."""
    if not link or link.startswith(("http://", "https://")):
        return link
    return origin() + (link if link.startswith("/") else "/" + link)


def path(endpoint: str, **values) -> str:
    """The in-app link (`/practices/water`, with APPLICATION_ROOT or PUBLIC_URL's path)."""
    return _build(endpoint, values, external=False)


def absolute(endpoint: str, **values) -> str:
    """The full link (`https://marketplace.example.org/practices/water`)."""
    return _build(endpoint, values, external=True)
