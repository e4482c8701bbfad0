"""mkdocs-gen-files entry: write the generated reference pages into the site at build time.

* ``reference/config.md`` -- every config group and key (``config_reference.py``);
* ``reference/cli.md`` -- every command and its ``--help`` (``cli_reference.py``);
* ``reference/outputs.md`` -- the output files and their dtypes (``outputs_reference.py``);
* ``reference/api/<package>.md`` -- one page per package of :data:`API_PACKAGES`, rendered
  by mkdocstrings with every submodule, so the pages follow the module layout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).parent))

import cli_reference  # noqa: E402
import config_reference  # noqa: E402
import outputs_reference  # noqa: E402

#: The packages of the API reference, one page each.
API_PACKAGES = {
    "loopsim": "the import root: `loopsim.run`, `loopsim.compare`, `loopsim.compose`",
    "loopsim.simulator": "the world, click models, engine, metrics and the policy contract",
    "loopsim.policies": "built-in estimators, selectors and pipeline stages",
    "loopsim.experiments": "the commands, comparison, figures, export and OPE",
    "loopsim.examples": "the example policy, estimator and world (`loopsim init`)",
}

for name, module in (("config", config_reference), ("cli", cli_reference),
                     ("outputs", outputs_reference)):
    with mkdocs_gen_files.open(f"reference/{name}.md", "w") as page:
        page.write(module.page())

for package, what in API_PACKAGES.items():
    with mkdocs_gen_files.open(f"reference/api/{package}.md", "w") as page:
        submodules = "false" if package == "loopsim" else "true"
        page.write(f"# `{package}`\n\n{what[0].upper() + what[1:]}.\n\n"
                   f"::: {package}\n    options:\n      show_submodules: {submodules}\n")

# The changelog lives at the top of the repository (Keep a Changelog); the site shows it.
CHANGELOG = Path(__file__).resolve().parents[2] / "CHANGELOG.md"
with mkdocs_gen_files.open("changelog.md", "w") as page:
    page.write(CHANGELOG.read_text().replace("](docs/", "]("))
