"""The custom policy, estimator and world of the tutorials (``loopsim init`` writes them out)."""
