"""Who may do what: users, roles, API tokens (organisation membership and grants come later)."""
