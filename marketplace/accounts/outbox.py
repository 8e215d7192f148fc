"""How accounts queue their own mail (password reset, email change) without importing
notifications, which sits above accounts: notifications registers its outbox at app creation."""

from collections.abc import Callable

Queue = Callable[..., object]
_queue: list[Queue] = []
_notice: list[Queue] = []


def register(queue: Queue) -> None:
    """Set the function that queues a templated email (idempotent: the last one wins)."""
    _queue[:] = [queue]


def queue_templated_email(recipient, subject, template: str, to: str | None = None, **context):
    """Queue `subject` (lazy) and `template` rendered for `recipient`, through the registered outbox."""
    if not _queue:
        raise RuntimeError("no outbox registered: create_app registers notifications' outbox")
    return _queue[0](recipient, subject, template, to=to, **context)


def register_notice(notice: Queue) -> None:
    """Set the function that adds an in-app notice without mail (idempotent: the last one wins)."""
    _notice[:] = [notice]


def notice(recipient, message, link: str, actor=None):
    """An in-app notice to `recipient` (`message` lazy, rendered in their language), no mail."""
    if not _notice:
        raise RuntimeError("no notices registered: create_app registers notifications' notify")
    return _notice[0](recipient, message, link, actor=actor)
