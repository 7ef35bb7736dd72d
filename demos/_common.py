"""What every demo shares: its command line (--quick, --out) and saving figures.

Demos are scripts written in cells (``# %%``), so they also open as notebooks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

if "ipykernel" not in sys.modules:  # a script writes files; a notebook shows figures inline
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402


def demo_args(description: str, argv: list[str] | None = None,
              more: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """Parse ``--quick`` (a run of a few seconds), ``--out DIR`` (default ``out/``) and the
    options ``more(parser)`` adds; a mistyped option is an error, not silently ignored.

    In a notebook (no command line of its own) the defaults are used.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a few seconds, for tests")
    parser.add_argument("--out", type=Path, default=Path("out"), help="where pictures go")
    if more is not None:
        more(parser)
    if argv is None and "ipykernel" in sys.modules:
        argv = []
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save(fig: plt.Figure, out: Path, name: str) -> Path:
    """Save a figure as ``out/name`` and close it; print where it went."""
    path = out / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"  wrote {path}")
    return path
