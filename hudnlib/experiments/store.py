"""Where results live, and how to read a stored result's provenance record."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["RESULTS_DIR", "load_provenance"]

RESULTS_DIR = Path(__file__).resolve().parents[2] / "data" / "results"


def load_provenance(stem: str, results_dir: Path = RESULTS_DIR) -> dict:
    """The provenance record ``<stem>.json`` of a stored result (e.g. ``paper_b_static_low-full``)."""
    return json.loads((results_dir / f"{stem}.json").read_text())
