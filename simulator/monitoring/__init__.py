"""Monitoring in the loop: what a team sees, its alerts, and the guarded deployment that may roll a model back."""
