"""Check a command's output against the lines a console snippet shows under it.

``python expect.py OUTPUT_FILE EXPECTED WHERE``: every non-empty expected line must match
a line of the output (``...`` or ``[...]`` inside a line matches anything); exits 1
naming the line that was not found.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def main() -> int:
    output = Path(sys.argv[1]).read_text().splitlines()
    for want in (w.strip() for w in sys.argv[2].splitlines()):
        if not want:
            continue
        parts = re.split(r"\[\.\.\.\]|\.\.\.", want)
        pattern = re.compile(".*".join(re.escape(p) for p in parts))
        if not any(pattern.search(line) for line in output):
            print(f"{sys.argv[3]}: expected a line matching\n  {want}\ngot:\n  "
                  + "\n  ".join(output[-15:]), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
