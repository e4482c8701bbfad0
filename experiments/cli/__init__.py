"""The ``loopsim`` command: compose a Hydra config, check it, build a simulation and run it."""
