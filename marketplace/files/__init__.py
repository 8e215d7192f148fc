"""Evidence files: stored blobs (content-addressed), attachments on practices, case studies,
projects, progress reports and forum posts, images in posts, and avatars."""
