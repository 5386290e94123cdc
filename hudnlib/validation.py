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
    "as_problem",
]


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
    try:
        arr = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}") from exc
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


def as_positive_scalar(name: str, value: object) -> float:
    """Return ``value`` as a finite, strictly positive float or raise ``ValueError``."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number, got {value!r}") from exc
    if not np.isfinite(out) or out <= 0.0:
        raise ValueError(f"{name} must be finite and > 0, got {out!r}")
    return out


def as_association(name: str, value: object, n_users: int, n_bs: int) -> np.ndarray:
    """Check a user association given as one BS index per user.

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
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(f"{name} must hold integer BS indices")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_bs):
        raise ValueError(f"{name} holds a BS index outside [0, {n_bs - 1}]")
    return arr


def as_problem(
    spectral_efficiency: object, alpha: object, bandwidth: object
) -> tuple[np.ndarray, np.ndarray, float]:
    """Check paper B's problem data: efficiencies (I, J) > 0, alphas (I,) >= 0, bandwidth > 0."""
    se = as_float_array("spectral_efficiency", spectral_efficiency, ndim=2, strictly_positive=True)
    alpha = as_float_array("alpha", alpha, ndim=1, shape=(se.shape[0],), min_value=0.0)
    return se, alpha, as_positive_scalar("bandwidth", bandwidth)
