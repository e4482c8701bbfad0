#!/usr/bin/env bash
# Build the wheel, install it into a fresh venv, and use it as a new user would: from a
# temporary folder that is not the checkout, a 2-day run, a 2-run sweep, loopsim-compare.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python -m pip wheel --no-deps --no-build-isolation -q -w "$work/dist" . 2>/dev/null \
  || python -m pip wheel --no-deps -q -w "$work/dist" .
wheel=$(ls "$work"/dist/loopsim-*.whl)
python - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
tops = sorted({n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")})
# loopsim, and its Hydra sweeper in Hydra's shared plugin namespace (Hydra accepts a
# plugin class only under hydra_plugins.*): a namespace package, no __init__.py of ours.
assert tops == ["hydra_plugins", "loopsim"], f"unexpected top-level packages: {tops}"
plugins = {n.split("/")[1] for n in names if n.startswith("hydra_plugins/")}
assert plugins == {"loopsim_sweeper"}, f"hydra_plugins holds more than loopsim's: {plugins}"
assert "hydra_plugins/__init__.py" not in names, "hydra_plugins must stay a namespace package"
assert "loopsim/conf/config.yaml" in names, "the configs are not in the wheel"
assert any(n.endswith("LICENSE") and ".dist-info/" in n for n in names), "no LICENSE in the wheel"
assert "loopsim/examples/custom_policy/conf/world/hits.yaml" in names, "examples not in the wheel"
print(f"wheel: {len(names)} files, one top-level package (loopsim), configs inside")
PY
python -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel"  # no extra: the default launcher needs none
cd "$work"
export PATH="$work/venv/bin:$PATH"
small="world.n_users=200 world.n_items=50 progress=false"
loopsim --version | grep "^loopsim " >/dev/null  # grep -q could close the pipe mid-output
loopsim init study && test -s study/fading_popularity.py
loopsim horizon=2 $small hydra.run.dir=run1
test -s run1/metrics.parquet
loopsim -m policy=popularity,random horizon=2 $small hydra.sweep.dir=sweep \
  hydra.callbacks.compare.plots=false  # on loopsim's launcher (the default), forked jobs
loopsim-compare sweep --out cmp --no-plots
# the benchmark command from the wheel alone (the benchmarks/ peer code is not in it):
# two loopsim scenarios and the bare numpy reference (~10 s on 2 cores)
loopsim-bench --scenarios default_ctr,closed_ctr_100k,bare_pipeline_100k --json bench.json > bench.log
test -s bench.json
test -s cmp/summary.csv
echo "wheel check: run, sweep, loopsim-compare and loopsim-bench work from $work"
