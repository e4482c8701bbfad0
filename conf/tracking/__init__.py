"""Config group ``tracking``."""
