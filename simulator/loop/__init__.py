"""The loop: SimPy processes on one environment, their explicit state, and the run's clock, seeds and timing."""
