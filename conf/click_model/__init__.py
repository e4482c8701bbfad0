"""Config group ``click_model``."""
