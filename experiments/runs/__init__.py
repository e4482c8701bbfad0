"""Run folders: one run's folder and lock, its failures, and the table of a sweep's runs."""
