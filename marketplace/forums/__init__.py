"""Forums: categories, threads, posts, reactions, read tracking, watching and moderation."""
