"""Input checks shared by every public wrapper.

The numba kernels trust their inputs; these helpers run once at the public boundary and
raise a :class:`ValueError` that names the offending argument, so that bad input never
turns into a silent NaN deep inside a kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "as_float_array",
    "as_positive_scalar",
    "as_association",
    "as_mask",
    "as_problem",
    "as_alpha",
    "as_generator",
    "as_count",
    "as_flag",
    "as_real_scalar",
    "ALPHA_MIN",
    "ALPHA_MAX",
]

ALPHA_MIN = 1e-6
"""Smallest positive alpha accepted (alpha = 0 is handled exactly): below ~1e-20 the
exponent 1/alpha of Algorithm 1 overflows and the split turns NaN."""

ALPHA_MAX = 100.0
"""Largest alpha accepted: beyond a few hundred, r^(1 - alpha) underflows for typical rates
and the pricing cannot start."""


def as_float_array(
    name: str,
    value: object,
    *,
    ndim: int,
    shape: Sequence[int | None] | None = None,
    min_value: float | None = None,
    strictly_positive: bool = False,
    allow_empty: bool = False,
) -> np.ndarray:
    """Convert ``value`` to a C-contiguous float64 array and check it.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : array_like
        The input.
    ndim : int
        Required number of dimensions.
    shape : sequence of int or None, optional
        Required shape; ``None`` entries are free.
    min_value : float, optional
        Every entry must be ``>= min_value``.
    strictly_positive : bool
        Every entry must be ``> 0``.
    allow_empty : bool
        Whether a zero-size array is accepted.

    Returns
    -------
    numpy.ndarray
        float64, C-contiguous copy or view of ``value``.

    Raises
    ------
    ValueError
        If the value is not numeric, has the wrong shape, is empty, contains NaN or inf, or
        violates a bound.
    """
    arr = _real_array(name, value)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if shape is not None:
        for axis, (got, want) in enumerate(zip(arr.shape, shape)):
            if want is not None and got != want:
                raise ValueError(
                    f"{name} has shape {arr.shape}; axis {axis} must have length {want}"
                )
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {arr.shape}): an empty scenario has nothing to solve")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite entries")
    if strictly_positive and arr.size and arr.min() <= 0.0:
        raise ValueError(f"{name} must be strictly positive; smallest entry is {arr.min()!r}")
    if min_value is not None and arr.size and arr.min() < min_value:
        raise ValueError(f"{name} must be >= {min_value}; smallest entry is {arr.min()!r}")
    return arr


def _real_array(name: str, value: object) -> np.ndarray:
    """``value`` as a float64 array (C-contiguous unless 0-D), refusing what is not a real
    number: booleans, complex numbers, strings, ``None``."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nesting
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}") from exc
    if raw.dtype.kind not in "iuf":
        what = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes"}.get(
            raw.dtype.kind, f"dtype {raw.dtype}")
        raise ValueError(f"{name} must hold real numbers, got {what} ({type(value).__name__})")
    arr = raw.astype(np.float64, copy=False)
    return np.ascontiguousarray(arr) if arr.ndim else arr


def as_real_scalar(name: str, value: object) -> float:
    """Return ``value`` as a finite float, refusing booleans, strings, complex numbers and
    arrays of more than one entry."""
    arr = _real_array(name, value)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single number, got shape {arr.shape}")
    out = float(arr)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out!r}")
    return out


def as_positive_scalar(name: str, value: object) -> float:
    """Return ``value`` as a finite, strictly positive float or raise ``ValueError``
    (booleans and strings are refused, not converted)."""
    out = as_real_scalar(name, value)
    if out <= 0.0:
        raise ValueError(f"{name} must be finite and > 0, got {out!r}")
    return out


def as_flag(name: str, value: object) -> bool:
    """Require a boolean (``True``/``False`` or a NumPy bool): ``"False"`` or 0 is refused
    rather than read by its truth value."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_association(name: str, value: object, n_users: int, n_bs: int) -> np.ndarray:
    """Check a user association given as one BS index per user (or any index per user: a group).

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : array_like of int, shape (n_users,)
        ``value[i]`` is the BS serving user ``i``.
    n_users, n_bs : int
        Problem size.

    Returns
    -------
    numpy.ndarray of int64, shape (n_users,)
    """
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != n_users:
        raise ValueError(f"{name} must have shape ({n_users},), got {arr.shape}")
    if arr.size and arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold integer indices; it holds NaN or inf")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(f"{name} must hold integer indices")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_bs):
        raise ValueError(f"{name} holds an index outside [0, {n_bs - 1}]")
    return arr


def as_mask(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
    """Check a boolean mask: dtype bool, or numbers that are all exactly 0 or 1.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : array_like
        The mask.
    shape : tuple of int
        Required shape.

    Returns
    -------
    numpy.ndarray of bool
    """
    arr = np.asarray(value)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if arr.dtype != np.bool_:
        if not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"{name} must be a boolean mask, got dtype {arr.dtype}")
        if not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"{name} must be a boolean mask; it holds values other than 0 and 1 "
                             "(NaN included)")
    return arr.astype(bool)


def as_alpha(name: str, value: object, n_users: int) -> np.ndarray:
    """Check fairness parameters: shape (n_users,), each 0 or in [ALPHA_MIN, ALPHA_MAX]."""
    alpha = as_float_array(name, value, ndim=1, shape=(n_users,), min_value=0.0)
    bad = (alpha != 0.0) & ((alpha < ALPHA_MIN) | (alpha > ALPHA_MAX))
    if bad.any():
        raise ValueError(f"{name} must be 0 or in [{ALPHA_MIN:g}, {ALPHA_MAX:g}]; got "
                         f"{alpha[bad][0]!r} (entry {int(np.flatnonzero(bad)[0])})")
    return alpha


def as_problem(
    spectral_efficiency: object, alpha: object, bandwidth: object
) -> tuple[np.ndarray, np.ndarray, float]:
    """Check paper B's problem data: efficiencies (I, J) > 0, alphas (I,) 0 or in
    [ALPHA_MIN, ALPHA_MAX], bandwidth > 0."""
    se = as_float_array("spectral_efficiency", spectral_efficiency, ndim=2, strictly_positive=True)
    alpha = as_alpha("alpha", alpha, se.shape[0])
    return se, alpha, as_positive_scalar("bandwidth", bandwidth)


def as_generator(name: str, value: object) -> np.random.Generator:
    """Require a ``numpy.random.Generator`` (results are a pure function of a seed)."""
    if not isinstance(value, np.random.Generator):
        raise ValueError(f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(seed)), "
                         f"got {type(value).__name__}")
    return value


def as_count(name: str, value: object, minimum: int = 0) -> int:
    """An integer count ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
