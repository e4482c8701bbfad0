"""Config group ``experiment``."""
