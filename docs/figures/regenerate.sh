#!/usr/bin/env bash
# Regenerate the figures of the docs: `bash docs/figures/regenerate.sh [NAME...]`, from the
# root of a checkout with loopsim installed. NAME is one of the groups below (all of them
# without arguments). Slow at full size: validation ~30 min, mitigation ~75 s,
# echo_chamber ~2 min, data_shift ~11 min on 2 cores. Sweeps go to a temporary folder;
# only the PNG files in docs/figures/ (and docs/validation.md) are replaced.
set -euo pipefail
cd "$(dirname "$0")/../.."
figures=docs/figures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

validation() {  # trial_offer_theory.png musiclab_presets.png chaney.png degeneracy.png + validation.md
  python -m loopsim.experiments.reproduce --out "$figures" --page docs/validation.md
}
mitigation() {  # tradeoff.png: the main job's concentration-regret trade-off
  loopsim -m experiment=mitigation hydra.sweep.dir="$work/mitigation"
  cp "$work/mitigation/tradeoff.png" "$figures/tradeoff.png"
}
echo_chamber() {  # echo_chamber.png: the runs with world.drift=0.05
  loopsim -m experiment=echo_chamber hydra.sweep.dir="$work/echo"
  python "$figures/echo_chamber.py" "$work/echo" --drift 0.05 --out "$figures/echo_chamber.png"
}
data_shift() {  # data_shift_time_to_detect.png, data_shift_monitoring.png, data_shift_gaps.png
  loopsim -m experiment=data_shift hydra.sweep.dir="$work/shift"
  for name in time_to_detect monitoring gaps; do
    cp "$work/shift/$name.png" "$figures/data_shift_$name.png"
  done
}

for group in "${@:-validation mitigation echo_chamber data_shift}"; do
  for name in $group; do "$name"; done
done
echo "figures regenerated in $figures"
