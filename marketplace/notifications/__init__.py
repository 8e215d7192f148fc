"""In-app notifications and their email delivery (immediately, daily digest or off, per kind)."""
