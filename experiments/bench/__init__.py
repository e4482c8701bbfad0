"""``loopsim-bench``: throughput, memory and time split of loopsim, against numpy references."""
