"""Config group ``hydra/help``: the text of ``loopsim --help``."""
