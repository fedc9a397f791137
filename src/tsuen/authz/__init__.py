"""tsuen.authz: the single authorization layer (see policy.py)."""
