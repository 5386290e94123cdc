"""One plotting style for every figure of the book."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = [
    "apply_style",
    "plot_convergence",
    "plot_users",
    "plot_group_metrics",
    "plot_slots",
    "plot_circumstance",
    "plot_rate_cdf",
    "plot_rate_bars",
    "plot_training",
]

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
        One instance of :func:`hudnlib.experiments.paper_b.convergence.convergence_trace`.
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


METHOD_STYLE = {
    "Ours": dict(color="tab:red", marker="o"),
    "Random": dict(color="tab:gray", marker="x"),
    "Max-SINR": dict(color="tab:blue", marker="s"),
    "PF": dict(color="tab:green", marker="^"),
    "AF-Low": dict(color="tab:olive", marker="v"),
    "AF-High": dict(color="tab:purple", marker="D"),
    "Min-Latency": dict(color="tab:orange", marker="P"),
    "2RS": dict(color="k", marker="*"),
    "GA": dict(color="tab:brown", marker="h"),
}
"""Colour and marker of each of paper B's methods, named exactly as in the paper."""

GROUP_METRICS = (
    ("sum_rate", "Sum-rate [{unit}]", 1),
    ("pf", "Proportional fairness (sum log r)", 2),
    ("latency_served", "Average latency (mean 1/r) [1/({unit})]\nover users not starved", 3),
    ("min_rate", "Min-rate [{unit}]", 4),
)
"""Per-group metrics of Figs 5, 7 and 9: column, axis label, and the group each targets."""


def _symlog_if_outlier(ax: plt.Axes, values: np.ndarray) -> None:
    """Use a symmetric-log y axis when one value dwarfs the others (10x their median size),
    so an outlier method does not flatten the rest."""
    finite = values[np.isfinite(values)]
    size = np.abs(finite)
    if size.size and size.max() > 10 * np.median(size):
        ax.set_yscale("symlog", linthresh=max(float(np.median(size)), 1e-3))
        ax.set_ylabel(ax.get_ylabel() + " (symlog)")
        # keep the axis off 0 when every value has one sign: a 0 tick beside the first decade
        # tick prints one label over the other
        if finite.max() < 0:
            ax.set_ylim(top=finite.max() / 2)
        elif finite.min() > 0:
            ax.set_ylim(bottom=finite.min() / 2)


def plot_users(table: pd.DataFrame, ax: plt.Axes, title: str, legend: bool = True) -> plt.Axes:
    """Figs 4/6 of paper B: mean HAF against the number of users, one line per method
    (symlog axis when one method is an outlier); ``legend=False`` leaves the legend to the
    figure (one for several panels, off the curves)."""
    for method, row in table.iterrows():
        ax.plot(row.index, row.values, label=method, **METHOD_STYLE[method])
    ax.set_xlabel("Number of users")
    ax.set_ylabel("HAF (mean over samples)")
    _symlog_if_outlier(ax, table.to_numpy().ravel())
    ax.set_title(title)
    if legend:
        ax.legend(fontsize=8)
    return ax


def plot_group_metrics(table: pd.DataFrame, axes, methods, bandwidth: float = 1.0) -> None:
    """Figs 5/7/9 of paper B: one panel per metric, grouped bars (method) per user group.

    The group a metric targets (sum-rate: group 1, ..., min-rate: group 4) is drawn solid;
    the other groups are drawn faint, as the paper highlights the target group. Latency is
    averaged over the users that are not starved, and the number of starved users (summed
    over the drops) is written above the bar instead of a bar of 1/rate; a panel whose
    values span decades gets a log axis. ``bandwidth`` is the rate unit's B (1: bit/s/Hz,
    20: Mbit/s over 20 MHz).
    """
    unit = "bit/s/Hz" if bandwidth == 1.0 else ("Mbit/s" if bandwidth == 20.0 else f"{bandwidth:g} x bit/s/Hz")
    width = 0.8 / len(methods)
    for ax, (column, label, target) in zip(axes, GROUP_METRICS):
        for k, method in enumerate(methods):
            part = table[table["method"] == method].sort_values("group")
            x = part["group"].to_numpy() + (k - (len(methods) - 1) / 2) * width
            alphas = [1.0 if g == target else 0.3 for g in part["group"]]
            heights = part[column].to_numpy(dtype=float)
            infinite = np.isinf(heights)  # e.g. a sum of logs with a zero rate: no bar, a mark instead
            bars = ax.bar(x, np.where(infinite, np.nan, heights), width, label=method,
                          color=METHOD_STYLE[method]["color"])
            for xi, h in zip(x[infinite], heights[infinite]):
                ax.annotate("-inf" if h < 0 else "inf", (xi, 0.02), xycoords=("data", "axes fraction"),
                            ha="center", va="bottom", fontsize=6, rotation=90, color=METHOD_STYLE[method]["color"])
            for bar, a in zip(bars, alphas):
                bar.set_alpha(a)
            if column == "latency_served" and "starved" in part:
                for xi, y, n in zip(x, part[column], part["starved"]):
                    if n and np.isfinite(y):
                        ax.annotate(f"{int(n)}", (xi, y), ha="center", va="bottom", fontsize=6, rotation=90)
                    elif n:  # no served user left to average over: the count sits at the bottom
                        ax.annotate(f"{int(n)}", (xi, 0.02), xycoords=("data", "axes fraction"), ha="center",
                                    va="bottom", fontsize=6, rotation=90)
        values = table.loc[table["method"].isin(methods), column].to_numpy(dtype=float)
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size == values.size and positive.size and positive.max() > 100 * positive.min():
            ax.set_yscale("log")
        ax.set_xticks([1, 2, 3, 4], [f"group {g}" + ("\n(target)" if g == target else "") for g in (1, 2, 3, 4)],
                      fontsize=8)
        ax.set_ylabel(label.format(unit=unit), fontsize=8)
    axes[0].legend(fontsize=7)


def plot_slots(table: pd.DataFrame, ax: plt.Axes, title: str, legend: bool = True) -> plt.Axes:
    """Fig. 8 of paper B: mean HAF per time slot, one line per method (symlog axis when one
    method is an outlier); ``legend=False`` leaves the legend to the figure."""
    for method, row in table.iterrows():
        style = dict(METHOD_STYLE[method], markevery=5, markersize=4)
        ax.plot(row.index, row.values, label=method, **style)
    ax.set_xlabel("Time slot")
    ax.set_ylabel("HAF (mean over samples)")
    _symlog_if_outlier(ax, table.to_numpy().ravel())
    ax.set_title(title)
    if legend:
        ax.legend(fontsize=8)
    return ax


def plot_circumstance(radio_map, sinr_db, ax: plt.Axes) -> plt.Axes:
    """Paper A's Fig. 5 view: buildings, macro and small BSs over the best-server SINR map."""
    from matplotlib.patches import Rectangle

    side = radio_map.config.side_m
    step = radio_map.config.grid_step_m
    n = int(round(side / step))
    image = np.full((n, n), np.nan)
    ij = np.round(radio_map.ue_xyz[:, :2] / step).astype(int)
    image[ij[:, 1], ij[:, 0]] = sinr_db
    shown = ax.imshow(image, origin="lower", extent=(0, side, 0, side), cmap="viridis",
                      vmin=np.nanpercentile(image, 2), vmax=np.nanpercentile(image, 98))
    for lo, hi in zip(radio_map.box_lo, radio_map.box_hi):
        ax.add_patch(Rectangle(lo[:2], *(hi - lo)[:2], facecolor="tab:blue", edgecolor="k", alpha=0.8))
    small = radio_map.bs_xyz[5:]
    roof = small[:, 2] >= radio_map.config.building_height_m
    ax.scatter(small[~roof, 0], small[~roof, 1], marker="^", c="tab:red", s=18, label="small BS (8 m)")
    ax.scatter(small[roof, 0], small[roof, 1], marker="^", c="orange", s=18, edgecolors="k",
               linewidths=0.4, label="small BS on a roof (30 m)")
    ax.scatter(radio_map.bs_xyz[:5, 0], radio_map.bs_xyz[:5, 1], marker="*", c="w", s=160,
               edgecolors="k", label="macro BS")
    ax.add_patch(Rectangle((0, 0), side, side, fill=False, linestyle="--", edgecolor="k", linewidth=1.0,
                           label=f"{side:g} m area"))
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=7, frameon=False)
    plt.colorbar(shown, ax=ax, label="best-server SINR [dB]")
    return ax


def plot_rate_cdf(frame: pd.DataFrame, ax: plt.Axes, methods, floor: float = 1e-3) -> plt.Axes:
    """Paper A's Fig. 8: CDF of the per-UE effective rates of each method.

    Rates below ``floor`` are drawn at ``floor``: the CDF's value there is the share of UEs
    that get (almost) nothing, so starving UEs cannot hide below the log axis.
    """
    for method in methods:
        rates = np.sort(frame.loc[frame["method"] == method, "rate"].to_numpy())
        starved = np.mean(rates < floor)
        label = f"{method} ({100 * starved:.1f}% < {floor:g})" if starved else method
        ax.step(np.maximum(rates, floor), np.arange(1, rates.size + 1) / rates.size, where="post", label=label)
    ax.axvline(floor, color="0.5", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel(f"Effective rate of a UE [bit/s/Hz] (below {floor:g}: at the dotted line)")
    ax.set_ylabel("CDF")
    ax.legend(fontsize=7)
    return ax


def plot_rate_bars(table: pd.DataFrame, ax: plt.Axes) -> plt.Axes:
    """Paper A's Fig. 7 in numbers: mean total effective rate per method (95% CI), ours
    beside the paper's Table II."""
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["paper"].astype(float), 0.4, label="paper (Table II)", color="0.7")
    err = np.vstack([table["reproduced"] - table["CI low"], table["CI high"] - table["reproduced"]])
    ax.bar(x + 0.2, table["reproduced"], 0.4, label="reproduced (95% CI)", color="tab:blue",
           yerr=err, capsize=3)
    # slanted, so that long names beside each other (JUAPCMWSER, JUAPCMWSER-switch-off) never touch
    ax.set_xticks(x, table["method"], fontsize=7, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_ylabel("Total effective rate R [bit/s/Hz]")
    ax.legend(fontsize=8)
    return ax


def plot_training(curves: pd.DataFrame, axes) -> None:
    """Paper A's Fig. 6 (a-f): rates, supervised and total loss of GRL (left) and SRL (right).

    ``curves`` is :func:`hudnlib.experiments.paper_a_gnn.training_curves`; ``axes`` is 3 x 2.
    """
    grl, srl = curves[curves["phase"] == "GRL"], curves[curves["phase"] == "SRL"]
    for col, label in (("max_rate", "max rate of batch"), ("mean_rate", "mean rate of batch"),
                       ("our_pc_strongest", "our PC with MSUA"), ("our_ua_max_power", "our UA with max PC"),
                       ("strongest_max_power", "MSUA with max PC (reference)")):
        if col + "_smooth" in grl:
            axes[0, 0].plot(grl["step"], grl[col + "_smooth"], label=label,
                            **({"color": "grey", "ls": ":"} if col == "strongest_max_power" else {}))
    axes[0, 0].legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                      frameon=False)  # below the panel, off the curves
    axes[0, 1].plot(srl["step"], srl["rate"], lw=0.6, alpha=0.5, label="per step")
    axes[0, 1].plot(srl["step"], srl["rate_smooth"], label="moving mean")
    if "best_rate" in srl:
        axes[0, 1].plot(srl["step"], srl["best_rate"], label="best so far (kept)")
    axes[0, 1].legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
                      frameon=False)  # below the panel, off the curves
    for row, col in ((1, "supervised_loss_smooth"), (2, "total_loss_smooth")):
        axes[row, 0].plot(grl["step"], grl[col])
        if col in srl and srl[col].notna().any():
            axes[row, 1].plot(srl["step"], srl[col])
        else:  # say so rather than draw an empty frame
            axes[row, 1].text(0.5, 0.5, "not stored for this run", ha="center", va="center",
                              transform=axes[row, 1].transAxes, fontsize=8, color="grey")
            axes[row, 1].set_xticks([])
            axes[row, 1].set_yticks([])
    titles = ("(a) rate of GRL", "(b) rate of SRL (one event)", "(c) supervised loss, GRL",
              "(d) supervised loss, SRL", "(e) total loss, GRL", "(f) total loss, SRL")
    for ax, title in zip(axes.ravel(), titles):
        ax.set_title(title)
    for ax in axes[0]:
        ax.set_ylabel("rate [bit/s/Hz]")
    for ax in axes[-1]:
        ax.set_xlabel("training step")
