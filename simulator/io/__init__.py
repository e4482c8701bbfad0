"""A run's data in and out: the impression log, the run's results and their atomic writing."""
