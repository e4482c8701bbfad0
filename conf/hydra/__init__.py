"""Config group ``hydra``."""
