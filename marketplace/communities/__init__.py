"""Communities of practice: membership, roles, join requests and invitations."""
