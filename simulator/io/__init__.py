"""Reading and writing a run's data: the impression log, the run's results and their atomic writing."""
