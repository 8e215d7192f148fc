"""Knowledge base: practices, revisions, suggested edits, adaptations, endorsements."""
