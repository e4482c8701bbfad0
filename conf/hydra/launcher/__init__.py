"""Config group ``hydra/launcher``."""
