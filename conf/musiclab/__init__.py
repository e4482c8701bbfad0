"""Config group ``musiclab``: the conditions of the MusicLab presets (selected by their sweeps)."""
