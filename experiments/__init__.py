"""Hydra entry points: run one simulation, compare runs, benchmark."""

from loopsim.experiments.cli.config_schema import register_schemas

# The YAML files name these schemas in their defaults lists: register them before any
# config is composed (ConfigStore registration is idempotent).
register_schemas()
