"""``python -m loopsim.experiments.reproduce``: run every check, write docs/validation.md."""

from loopsim.experiments.reproduce.studies import main

main()
