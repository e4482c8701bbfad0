"""Config group ``policy``."""
