"""Paper B's HetNet: 3GPP small-cell scenario 1 with TR 38.901 UMa/UMi channels from Sionna.

What the paper states (Section V, Table II, Appendix D): 6 BSs, 40-60 users, 20 MHz,
-174 dBm/Hz noise, 250 m cell, 50% indoor users, 3 small-cell clusters, the top 10% of BSs at
33-36 dBm and the rest at 23-30 dBm, Sionna's ``UMa`` for BSs at 30-36 dBm and ``UMi``
otherwise. Everything else is our reconstruction, listed in :class:`HetNetConfig` and in the
book's chapter "Reconstruction choices": one macro BS (UMa, 25 m) at the centre, five small
BSs (UMi, 10 m) in three clusters, users uniform in the 250 m disc, carrier 3.5 GHz.

The algorithms see large-scale gains only: ``g_ij = 10^(-PL_ij / 10) * SF_ij`` with the path
loss (incl. O2I penetration for indoor users) and log-normal shadow fading that Sionna samples
for the TR 38.901 large-scale parameters (``sample_lsp``); antenna gains are 0 dBi.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from hudnlib.radio import cluster_interference, dbm_to_w, noise_power_w, sinr_matrix, spectral_efficiency

__all__ = [
    "HetNetConfig",
    "Topology",
    "ALPHA_GROUPS",
    "LOW_FAIRNESS",
    "HIGH_FAIRNESS",
    "draw_topology",
    "draw_alphas",
    "sionna_gains",
    "spectral_efficiency_of",
    "NETWORKS",
    "bs_clusters",
]

NETWORKS = ("all", "clusters", "separate macro")
"""Readings of who interferes with whom (see :func:`bs_clusters`)."""

ALPHA_GROUPS = ((0.01, 0.5), (0.5, 1.5), (1.5, 2.5), (2.5, 5.0))
"""Alpha interval of each user group (guess; the paper's numbers were lost)."""

LOW_FAIRNESS = (4, 3, 2, 1)
"""Group ratio of the low-fairness scenario (guess)."""

HIGH_FAIRNESS = (1, 2, 3, 4)
"""Group ratio of the high-fairness scenario (guess)."""


@dataclass(frozen=True)
class HetNetConfig:
    """Parameters of paper B's HetNet; ``(guess)`` marks our reconstruction.

    Attributes
    ----------
    n_users : int
        Users per drop (40-60 in the paper).
    n_macro, n_small : int
        Macro (UMa) and small (UMi) BSs: 1 + 5 = 6 (the "top 10%" of 6 BSs is one BS; guess).
    n_clusters : int
        Small-cell clusters (3, text).
    cell_radius_m : float
        Users are dropped in a disc of this radius around the macro BS (250 m, text).
    cluster_distance_m : tuple of float
        Range of a cluster centre's distance from the macro BS (guess, TR 36.932-like).
    cluster_radius_m : float
        Small BSs lie within this radius of their cluster centre (50 m, TR 36.932).
    min_bs_distance_m : float
        Minimum distance between small BSs of a cluster (20 m, TR 36.932).
    min_ue_distance_m : float
        Minimum 2-D distance between a user and any BS (10 m, the UMa/UMi model's floor).
    macro_power_dbm, small_power_dbm : tuple of float
        Uniform ranges of transmit power (33-36 and 23-30 dBm, text).
    macro_height_m, small_height_m, ut_height_m : float
        Antenna heights (25, 10, 1.5 m; TR 38.901 defaults, guess).
    indoor_probability : float
        Probability that a user is indoor (0.5, text).
    carrier_frequency_hz : float
        Carrier frequency (3.5 GHz, guess).
    bandwidth_hz : float
        System bandwidth (20 MHz, text).
    """

    n_users: int = 60
    n_macro: int = 1
    n_small: int = 5
    n_clusters: int = 3
    cell_radius_m: float = 250.0
    cluster_distance_m: tuple[float, float] = (105.0, 175.0)
    cluster_radius_m: float = 50.0
    min_bs_distance_m: float = 20.0
    min_ue_distance_m: float = 10.0
    macro_power_dbm: tuple[float, float] = (33.0, 36.0)
    small_power_dbm: tuple[float, float] = (23.0, 30.0)
    macro_height_m: float = 25.0
    small_height_m: float = 10.0
    ut_height_m: float = 1.5
    indoor_probability: float = 0.5
    carrier_frequency_hz: float = 3.5e9
    bandwidth_hz: float = 20e6

    def __post_init__(self) -> None:
        for name in ("n_users", "n_macro", "n_clusters"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.n_small < 0:
            raise ValueError(f"n_small must be >= 0, got {self.n_small}")
        if not 0.0 <= self.indoor_probability <= 1.0:
            raise ValueError(f"indoor_probability must be in [0, 1], got {self.indoor_probability}")
        for name in ("cell_radius_m", "cluster_radius_m", "carrier_frequency_hz", "bandwidth_hz"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")

    @property
    def n_bs(self) -> int:
        """Total number of BSs (macro first)."""
        return self.n_macro + self.n_small

    def as_dict(self) -> dict:
        """Plain-dict form for provenance records."""
        return asdict(self)


@dataclass(frozen=True)
class Topology:
    """One drop: positions (m), powers (dBm) and indoor states; BSs ``[:n_macro]`` are macro."""

    bs_xyz: np.ndarray
    ut_xyz: np.ndarray
    power_dbm: np.ndarray
    indoor: np.ndarray
    n_macro: int


def _uniform_disc(rng: np.random.Generator, n: int, radius: float) -> np.ndarray:
    r = radius * np.sqrt(rng.uniform(size=n))
    phi = rng.uniform(0.0, 2.0 * np.pi, size=n)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi)])


def draw_topology(config: HetNetConfig, rng: np.random.Generator) -> Topology:
    """Drop BSs and users for one sample (3GPP small-cell scenario 1 layout, guess).

    Parameters
    ----------
    config : HetNetConfig
    rng : numpy.random.Generator
        Source of all randomness of the drop.

    Returns
    -------
    Topology
    """
    macro_xy = np.zeros((config.n_macro, 2))
    if config.n_macro > 1:
        macro_xy = _uniform_disc(rng, config.n_macro, 0.5 * config.cell_radius_m)
    rotation = rng.uniform(0.0, 2.0 * np.pi)
    angles = rotation + 2.0 * np.pi * np.arange(config.n_clusters) / config.n_clusters
    dist = rng.uniform(*config.cluster_distance_m, size=config.n_clusters)
    centres = np.column_stack([dist * np.cos(angles), dist * np.sin(angles)])
    small_xy = np.empty((config.n_small, 2))
    for k in range(config.n_small):
        centre = centres[k % config.n_clusters]
        for _ in range(1000):
            cand = centre + _uniform_disc(rng, 1, config.cluster_radius_m)[0]
            if k == 0 or np.min(np.hypot(*(small_xy[:k] - cand).T)) >= config.min_bs_distance_m:
                break
        small_xy[k] = cand
    bs_xy = np.vstack([macro_xy, small_xy])
    ut_xy = np.empty((config.n_users, 2))
    filled = 0
    while filled < config.n_users:
        cand = _uniform_disc(rng, 4 * config.n_users, config.cell_radius_m)
        far = np.min(np.hypot(*(cand[:, None, :] - bs_xy[None]).transpose(2, 0, 1)), axis=1)
        cand = cand[far >= config.min_ue_distance_m][: config.n_users - filled]
        ut_xy[filled : filled + len(cand)] = cand
        filled += len(cand)
    heights = np.r_[
        np.full(config.n_macro, config.macro_height_m), np.full(config.n_small, config.small_height_m)
    ]
    power = np.r_[
        rng.uniform(*config.macro_power_dbm, size=config.n_macro),
        rng.uniform(*config.small_power_dbm, size=config.n_small),
    ]
    indoor = rng.uniform(size=config.n_users) < config.indoor_probability
    return Topology(
        bs_xyz=np.column_stack([bs_xy, heights]),
        ut_xyz=np.column_stack([ut_xy, np.full(config.n_users, config.ut_height_m)]),
        power_dbm=power,
        indoor=indoor,
        n_macro=config.n_macro,
    )


def draw_alphas(
    rng: np.random.Generator, n_users: int, ratio: tuple[float, ...] = LOW_FAIRNESS,
    groups: tuple[tuple[float, float], ...] = ALPHA_GROUPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw each user's group (with probabilities proportional to ``ratio``) and its alpha.

    Returns
    -------
    alpha : ndarray, shape (n_users,)
        Uniform within the user's group interval.
    group : ndarray of int, shape (n_users,)
    """
    ratio = np.asarray(ratio, dtype=float)
    if ratio.shape != (len(groups),) or np.any(ratio < 0) or ratio.sum() <= 0:
        raise ValueError(f"ratio must hold {len(groups)} non-negative weights, got {ratio}")
    group = rng.choice(len(groups), size=n_users, p=ratio / ratio.sum())
    bounds = np.asarray(groups, dtype=float)[group]
    alpha = rng.uniform(bounds[:, 0], bounds[:, 1])
    return alpha, group


def sionna_gains(
    config: HetNetConfig, topologies: list[Topology], seed: int
) -> np.ndarray:
    """Large-scale gains of a batch of drops from Sionna's TR 38.901 UMa/UMi models.

    Macro BSs use ``sionna.phy.channel.tr38901.UMa``, small BSs ``UMi`` (Appendix D of paper
    B: UMa for 30-36 dBm, UMi otherwise), both with O2I model "low", random LoS states, a
    single vertically polarised 38.901 element at the BS and an omni element at the user,
    double precision, on the CPU. Each model samples its large-scale parameters once
    (``sample_lsp``); the gain is ``10^(-pathloss/10) * sf``.

    Parameters
    ----------
    config : HetNetConfig
    topologies : list of Topology
        The drops, all of the same size.
    seed : int
        Sionna's global seed (``sionna.phy.config.seed``) for this batch.

    Returns
    -------
    ndarray, shape (len(topologies), n_users, n_bs)
        Linear gains.
    """
    import torch
    from sionna.phy import config as sionna_config
    from sionna.phy.channel.tr38901 import UMa, UMi, PanelArray

    sionna_config.seed = int(seed)
    fc = config.carrier_frequency_hz
    bs_array = PanelArray(
        num_rows_per_panel=1, num_cols_per_panel=1, polarization="single",
        polarization_type="V", antenna_pattern="38.901", carrier_frequency=fc,
    )
    ut_array = PanelArray(
        num_rows_per_panel=1, num_cols_per_panel=1, polarization="single",
        polarization_type="V", antenna_pattern="omni", carrier_frequency=fc,
    )
    batch = len(topologies)
    ut = torch.as_tensor(np.stack([t.ut_xyz for t in topologies]), dtype=torch.float64)
    indoor = torch.as_tensor(np.stack([t.indoor for t in topologies]))
    gains = np.empty((batch, config.n_users, config.n_bs))
    for model, cols in ((UMa, slice(0, config.n_macro)), (UMi, slice(config.n_macro, config.n_bs))):
        n_bs = cols.stop - cols.start
        if n_bs == 0:
            continue
        channel = model(
            carrier_frequency=fc, o2i_model="low", ut_array=ut_array, bs_array=bs_array,
            direction="downlink", precision="double", device="cpu",
        )
        bs = torch.as_tensor(np.stack([t.bs_xyz[cols] for t in topologies]), dtype=torch.float64)
        channel.set_topology(
            ut_loc=ut, bs_loc=bs,
            ut_orientations=torch.zeros(batch, config.n_users, 3, dtype=torch.float64),
            bs_orientations=torch.zeros(batch, n_bs, 3, dtype=torch.float64),
            ut_velocities=torch.zeros(batch, config.n_users, 3, dtype=torch.float64),
            in_state=indoor,
        )
        lsp = channel.sample_lsp()
        pathloss_db = lsp.pathloss.numpy().transpose(0, 2, 1)
        gains[:, :, cols] = 10.0 ** (-pathloss_db / 10.0) * lsp.sf.numpy().transpose(0, 2, 1)
    return gains


def bs_clusters(config: HetNetConfig, network: str) -> np.ndarray | None:
    """Cluster of each BS under a reading of paper B's "the number of the small cell
    clusters is assumed to be 3, where the inter-cluster interference is negligibly small
    compared to intra-cluster interference".

    - ``"all"``: no clusters, every BS interferes with every user (returns ``None``).
    - ``"clusters"``: small BS ``k`` belongs to cluster ``k mod n_clusters`` (as dropped by
      :func:`draw_topology`); small BSs of different clusters do not interfere; the macro BS
      shares the carrier with every cluster (3GPP small-cell scenario 1, co-channel), so it
      interferes with, and is interfered by, every small BS (cluster -1: an overlay).
    - ``"separate macro"``: as ``"clusters"``, but the macro BSs form a cluster of their
      own: no interference between the macro and the small cells (as if the clusters'
      "negligible inter-cluster interference" extended to the macro layer).
    """
    if network not in NETWORKS:
        raise ValueError(f"network must be one of {list(NETWORKS)}, got {network!r}")
    if network == "all":
        return None
    small = np.arange(config.n_small) % config.n_clusters
    macro = -1 if network == "clusters" else config.n_clusters
    return np.r_[np.full(config.n_macro, macro), small].astype(np.int64)


def spectral_efficiency_of(
    config: HetNetConfig, gain: np.ndarray, power_dbm: np.ndarray, noise_figure_db: float = 0.0,
    network: str = "all",
) -> np.ndarray:
    """``c_ij = log2(1 + SINR_ij)`` of one drop with every BS at its power over the whole band,
    interference as the ``network`` reading says (:func:`bs_clusters`)."""
    noise = noise_power_w(config.bandwidth_hz, noise_figure_db)
    clusters = bs_clusters(config, network)
    interferes = None if clusters is None else cluster_interference(clusters)
    return spectral_efficiency(sinr_matrix(gain, dbm_to_w(power_dbm), noise, interferes))
