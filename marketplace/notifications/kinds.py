"""Notification kinds: the constants other features pass to notify(), with their labels."""

from flask_babel import lazy_gettext as _l

REPLY = "reply"
MENTION = "mention"
ACCEPTED_ANSWER = "accepted_answer"
MODERATION = "moderation"
MENTORSHIP = "mentorship"
EDIT_SUGGESTION = "edit_suggestion"
ORIGINAL_CHANGED = "original_changed"
PROGRESS_REPORT = "progress_report"
MONEY = "money"
GENERIC = "generic"

LABELS = {
    REPLY: _l("Replies in threads and categories you watch"),
    MENTION: _l("Mentions of you"),
    ACCEPTED_ANSWER: _l("Your answer was accepted"),
    MODERATION: _l("Moderation outcomes"),
    MENTORSHIP: _l("Mentorship events"),
    EDIT_SUGGESTION: _l("Edit suggestions"),
    ORIGINAL_CHANGED: _l("The original practice changed"),
    PROGRESS_REPORT: _l("Project progress reports"),
    MONEY: _l("Pledges, payments, refunds and money released"),
    GENERIC: _l("Other notices"),
}
KINDS = tuple(LABELS)

IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
MODE_LABELS = {IMMEDIATE: _l("Email immediately"), DIGEST: _l("Daily digest"), OFF: _l("No email")}
DEFAULT_MODE = IMMEDIATE


def label(kind: str) -> str:
    return str(LABELS.get(kind, LABELS[GENERIC]))
