"""Where the time goes, from py-spy's collapsed stacks (bench/run.py --profile).

    .venv/bin/python bench/profile_summary.py bench/profiles/validate-*.txt

Prints the functions with the largest share of samples, inclusive (on the
stack) and exclusive (at the top of the stack).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def main() -> None:
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for name in sys.argv[1:]:
        for line in Path(name).read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            samples = int(count)
            total += samples
            frames = [
                frame.split(" (")[0] + " " + frame.split("/")[-1].rstrip(")")
                for frame in stack.split(";")
            ]
            for frame in set(frames):
                inclusive[frame] += samples
            exclusive[frames[-1]] += samples
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"\n{title}:")
        for frame, samples in counter.most_common(30):
            print(f"{100 * samples / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
