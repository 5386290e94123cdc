"""Provenance records stored next to every result: config, seed, commit, versions, host, time."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

__all__ = [
    "config_hash",
    "git_commit",
    "package_versions",
    "provenance_record",
    "source_hash",
    "describe",
]

PACKAGES = ("hudnlib", "numpy", "numba", "scipy", "pandas", "torch", "sionna-no-rt", "dask")


def config_hash(config: dict) -> str:
    """Stable short hash of a JSON-serialisable config (keys sorted)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


CODE_PATHS = ("hudnlib", "pyproject.toml", "constraints.txt")
"""What a result's code is: ``-dirty`` marks uncommitted changes here, not in data files."""


def git_commit() -> str:
    """Commit of the working tree (``-dirty`` if the code has uncommitted changes), or ``unknown``."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


PRESENTATION_MODULES = ("plotting.py", "cli.py", "__main__.py")
"""Modules that cannot change a result; left out of :func:`source_hash`."""


def source_hash() -> str:
    """Hash of the library's computing sources: tells whether a stored result predates a change."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.name in PRESENTATION_MODULES:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = platform.python_version()
    return versions


def provenance_record(config: dict, wall_time_s: float) -> dict:
    """Everything needed to tell how a result was made."""
    return {
        "config": config,
        "config_hash": config_hash(config),
        "git_commit": git_commit(),
        "source_hash": source_hash(),
        "packages": package_versions(),
        "host": {"machine": platform.machine(), "processor": platform.processor(),
                 "system": platform.system(), "node": platform.node()},
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time_s, 3),
    }


def describe(record: dict) -> str:
    """One paragraph for a chapter: how and when a stored result was made, and whether the
    library has changed since (then the result is shown, flagged, not silently trusted)."""
    config = record["config"]
    text = (f"Scale: {record.get('scale', '?')} ({config.get('samples', '?')} samples, seed "
            f"{config.get('seed', '?')}); computed at commit {record['git_commit'][:12]} on "
            f"{record['created_utc']} in {record['wall_time_s']} s with {record.get('workers', 0)} "
            f"worker(s); numba {record['packages'].get('numba')}, sionna "
            f"{record['packages'].get('sionna-no-rt')}.")
    if record.get("source_hash") != source_hash():
        text += (" NOTE: the library's source has changed since this result was computed; "
                 "recompute it with `python -m hudnlib run "
                 f"{record.get('experiment', 'NAME')} --scale {record.get('scale', 'full')} --recompute`.")
    return text
