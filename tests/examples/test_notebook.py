"""The example notebook runs in a real kernel and shows its figures inline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).parents[2] / "examples" / "notebook" / "quickstart.ipynb"


@pytest.mark.slow
def test_example_notebook_shows_its_figures_inline(tmp_path: Path) -> None:
    path = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, path)
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2, [o.get("data", {}).keys() for o in outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    texts = " ".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "<Figure size" not in texts or len(pngs) >= 2
    stderr = "".join(o.get("text", "") for o in outputs
                     if o.output_type == "stream" and o.name == "stderr")
    # one updating line for the sweep (\r redraws), not a bar per run
    assert stderr.count("\n") <= 3 and "sweep: 9/9 runs done" in stderr
    assert (tmp_path / "sweep_demo" / "report.html").is_file()
