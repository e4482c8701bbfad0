"""Config group ``hydra/sweeper``."""
