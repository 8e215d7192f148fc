"""The money core: double-entry, integer minor units, append-only. No blueprint, no request."""
