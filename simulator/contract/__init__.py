"""The contracts of every extension point (policy, estimator, selector, world, click model, retrieval stage) and their optional hooks."""
