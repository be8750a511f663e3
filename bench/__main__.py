"""``python -m bench [name ...]``: run every bench module (bench_*.py) whose backend is installed, or the named ones."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path


def main() -> None:
    """Run the benches, then write ``bench/results/results.json`` and ``REPORT.md``."""
    names = sys.argv[1:] or sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"bench.{name if name.startswith('bench_') else 'bench_' + name}")
        if hasattr(module, "available") and not module.available():
            print(f"== {name}: backend not installed, not run")
            continue
        print(f"== {name}")
        asyncio.run(module.main())
    from bench.report import write

    write()


if __name__ == "__main__":
    main()
