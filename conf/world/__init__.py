"""Config group ``world``."""
