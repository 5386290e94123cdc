"""One plotting style for every figure of the book."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

__all__ = ["apply_style", "plot_convergence"]

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def apply_style() -> None:
    """Set the book's matplotlib defaults."""
    plt.rcParams.update(STYLE)


def plot_convergence(frame: pd.DataFrame, ax: plt.Axes, title: str) -> plt.Axes:
    """Fig. 3 of paper B: HAF per iteration and the dual function (upper bound).

    Parameters
    ----------
    frame : DataFrame
        One instance of :func:`hudnlib.experiments.paper_b_convergence.convergence_trace`.
    ax : matplotlib Axes
    title : str
    """
    ax.plot(frame["iteration"], frame["dual"], color="tab:red", lw=1.0, label="Dual function $D(\\mu_t)$")
    ax.plot(frame["iteration"], frame["haf"], color="tab:blue", lw=1.0, label="HAF (Ours)")
    if frame["optimum"].notna().any():
        ax.axhline(frame["optimum"].iloc[0], color="k", ls="--", lw=1.0, label="Optimum (brute force)")
    ax.set_xlabel("Iteration $t$")
    ax.set_ylabel("HAF (utility of rates in bit/s/Hz)")
    ax.set_title(title)
    ax.legend()
    return ax
