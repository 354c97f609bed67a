"""Where the time goes, from py-spy's raw stacks (bench/run.py --profile).

    .venv/bin/python bench/profile_summary.py bench/profiles/validate-*.txt

Prints the functions with the largest share of busy samples, inclusive (on
the stack) and exclusive (at the top of the stack). py-spy here cannot tell
idle threads from busy ones, so stacks that end in a wait (the hashing
pool's idle threads, uvicorn's supervisor pipe) are left out; a stack that
ends in `Runner.run` is the uvloop event loop itself (C code: polling,
socket reads and writes, callbacks), shown as such.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

IDLE_LEAVES = (
    "_worker (concurrent/futures/thread.py",
    "(multiprocessing/connection.py",
    "wait (threading.py",
    "select (selectors.py",
)
TOP = int(__import__("os").environ.get("TOP", 40))


def frame_name(frame: str) -> str:
    return frame.split(" (")[0] + " " + frame.split("/")[-1].rstrip(")")


def main() -> None:
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = idle = 0
    for name in sys.argv[1:]:
        for line in Path(name).read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            samples = int(count)
            frames = stack.split(";")
            if any(marker in frames[-1] for marker in IDLE_LEAVES):
                idle += samples
                continue
            total += samples
            names = [frame_name(frame) for frame in frames]
            if names[-1].startswith("Runner.run "):
                names.append("(uvloop event loop, C)")
            for frame in set(names):
                inclusive[frame] += samples
            exclusive[names[-1]] += samples
    print(f"{total} busy samples ({idle} idle left out)")
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"\n{title}:")
        for frame, samples in counter.most_common(TOP):
            print(f"{100 * samples / max(total, 1):5.1f}%  {frame}")


if __name__ == "__main__":
    main()
