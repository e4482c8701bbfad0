"""loopsim-bench refuses meaningless options before any run, naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from loopsim.experiments.bench.cli import main


@pytest.mark.parametrize(("args", "message"), [
    (["--repeat", "0"], "`--repeat 0`: must be >= 1"),
    (["--kinds", "bogus"], "`--kinds bogus`: unknown kinds ['bogus']"),
    (["--personalization", "nan"], "`--personalization nan`: must be in [0, 1]"),
    (["--blas-threads", "-1"], "`--blas-threads -1`: must be >= 0"),
])
def test_bad_options_exit_2_with_one_line(args: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--scenarios", "small", *args])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_folder_as_out_is_refused(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--scenarios", "small", "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert "is not a regular file path" in capsys.readouterr().err
