"""What a project's life cycle tells the layers above it (sponsorship), which projects never imports.

Receivers run synchronously, inside the caller's transaction: a refund or a tranche release is
written with the state change that caused it, or neither is. Sponsorship connects its receivers
at app creation (`marketplace.sponsorship.services.connect_signals`).
"""

from blinker import Namespace, Signal

_signals = Namespace()

# sender: the Project just cancelled, completed or expired; actor: User | None.
project_closed = _signals.signal("project-closed")
# sender: the Objective just verified; reviewer: User.
objective_verified = _signals.signal("objective-verified")
# sender: the Project; author: User; report: the ProgressReport just added.
report_added = _signals.signal("report-added")


def send_required(signal: Signal, sender: object, **kwargs: object) -> None:
    """Send a signal whose receiver must run (money moves, donors are told): with nobody
    listening that would silently not happen, so it is an error, not a no-op."""
    if not signal.receivers:
        name = getattr(signal, "name", signal)
        raise RuntimeError(f"nothing is connected to {name!r}: create_app connects sponsorship")
    signal.send(sender, **kwargs)  # type: ignore[arg-type]
