"""The loop: SimPy processes on one environment, their explicit state, clock, seeds, timing."""
