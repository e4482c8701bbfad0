"""Monitoring in the loop: what a team sees, its alerts, and a guarded deployment with rollback."""
