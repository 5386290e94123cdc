"""Provenance records stored next to every result, and where stored data lives.

The bottom layer for everything that stores data (scenarios' channel sets, GNN checkpoints,
experiment results): a record holds the config and its hash, the git commit, two source
hashes (the whole library, and the modules the producing code imports), package versions,
host, time, and the SHA-256 of every file it describes.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "RESULTS_DIR",
    "CHECKPOINT_DIR",
    "CHANNELS_DIR",
    "config_hash",
    "git_commit",
    "package_versions",
    "provenance_record",
    "source_hash",
    "module_hash",
    "stale_reasons",
    "describe",
]

PACKAGE_ROOT = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_ROOT.parent / "data"
RESULTS_DIR = DATA_DIR / "results"
CHECKPOINT_DIR = DATA_DIR / "checkpoints"
CHANNELS_DIR = DATA_DIR / "channels"

PACKAGES = ("hudnlib", "numpy", "numba", "scipy", "pandas", "torch", "sionna-no-rt", "dask")


def config_hash(config: dict) -> str:
    """Stable short hash of a JSON-serialisable config (keys sorted)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


CODE_PATHS = ("hudnlib", "pyproject.toml", "constraints.txt")
"""What a result's code is: ``-dirty`` marks uncommitted changes here, not in data files."""


COMMIT_ENV = "HUDNLIB_COMMIT"
"""Commit to record where the tree is a copy without its git history (e.g. on a lent GPU
machine); used only when git cannot tell."""


def accelerator() -> str:
    """The GPU torch computes on, or ``"none"`` (torch absent, or no CUDA device)."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return "none"
    return torch.cuda.get_device_name(0)


def git_commit() -> str:
    """Commit of the working tree (``-dirty`` if the code has uncommitted changes), or ``unknown``."""
    root = PACKAGE_ROOT.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=normal", "--", *CODE_PATHS],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get(COMMIT_ENV, "unknown")  # a copy of the tree without .git
    return commit + ("-dirty" if dirty else "")


PRESENTATION_MODULES = ("plotting.py", "report.py", "cli.py", "__main__.py")
"""Modules that cannot change a result; left out of :func:`source_hash`."""


def source_hash() -> str:
    """Hash of the library's computing sources: tells whether a stored result predates a change."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        if path.name in PRESENTATION_MODULES:
            continue
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    for candidate in (PACKAGE_ROOT.joinpath(*parts).with_suffix(".py"),
                      PACKAGE_ROOT.joinpath(*parts, "__init__.py")):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hudnlib"):
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("hudnlib"))
    return names


def module_hash(module: str) -> str:
    """Hash of the sources a module depends on inside the library: the module and every
    hudnlib module it imports, recursively (found by reading the import statements).

    A stored result whose ``module_hash`` still matches was computed by the same code, even
    if other parts of the library (another paper's code) changed since.
    """
    todo, seen = [module], {}
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None or path in seen.values() or path.name in PRESENTATION_MODULES:
            continue
        seen[name] = path
        todo.extend(_imports(path))
    digest = hashlib.sha256()
    for path in sorted(set(seen.values())):
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode())
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


def provenance_record(config: dict, wall_time_s: float, module: str | None = None) -> dict:
    """Everything needed to tell how a result was made (``module``: the producing module,
    whose :func:`module_hash` is recorded)."""
    return {
        "config": config,
        "config_hash": config_hash(config),
        "git_commit": git_commit(),
        "source_hash": source_hash(),
        "module": module,
        "module_hash": module_hash(module) if module else None,
        "packages": package_versions(),
        "host": {"machine": platform.machine(), "processor": platform.processor(),
                 "system": platform.system(), "node": platform.node(), "cpus": os.cpu_count(),
                 "accelerator": accelerator()},
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time_s, 3),
    }


def stale_reasons(record: dict) -> list[str]:
    """Why a stored result may not be what the current code computes (empty: none).

    The code that produced it changed (its :func:`module_hash`; the whole library's hash
    for records without one), or it was computed from uncommitted code (``-dirty``).
    """
    reasons = []
    if record.get("module_hash"):
        if record["module_hash"] != module_hash(record["module"]):
            reasons.append("the code that produced it has changed since")
    elif record.get("source_hash") != source_hash():
        reasons.append("the library's source has changed since")
    if str(record.get("git_commit", "")).endswith("-dirty"):
        reasons.append("it was computed from uncommitted code (-dirty)")
    return reasons


def describe(record: dict) -> str:
    """One paragraph for a chapter: how and when a stored result was made, and whether it
    may be stale (then the result is shown, flagged, not silently trusted)."""
    config = record["config"]
    text = (f"Scale: {record.get('scale', '?')} ({config.get('samples', '?')} samples, seed "
            f"{config.get('seed', '?')}); computed at commit {record['git_commit']} on "
            f"{record['created_utc']} in {record['wall_time_s']} s with {record.get('workers', 0)} "
            f"worker(s); numba {record['packages'].get('numba')}, sionna "
            f"{record['packages'].get('sionna-no-rt')}.")
    reasons = stale_reasons(record)
    if reasons:
        text += (f" NOTE: {'; '.join(reasons)}; recompute it with `python -m hudnlib run "
                 f"{record.get('experiment', 'NAME')} --scale {record.get('scale', 'full')} --recompute`.")
    return text
