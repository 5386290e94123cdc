"""The written rules that turn a reproduced number, or a paired comparison, into a status.

One place for the rules the book's introduction states and every chapter and the scorecard
(:mod:`hudnlib.experiments.scorecard`) apply:

- a number is ``reproduced`` when ours is within the row's tolerance of the paper's, or when
  the paper's value lies in our 95% CI *and* that CI is no wider than the tolerance band
  (``2 tolerance |paper|``); a paper value inside a wider CI is ``indeterminate`` (the CI
  cannot tell); otherwise ``direction only`` (same sign or ordering, within the row's looser
  bound) or ``not reproduced``;
- a claim that one method beats another is ``reproduced`` when the 95% CI of the paired
  difference (same events) lies above 0, ``indeterminate`` when it contains 0, and ``not
  reproduced`` when it lies below;
- a time measured on another machine is compared by its rank alone: ``direction only`` when
  every pairwise order with the other methods agrees with the paper's and our paired
  difference resolves it (its 95% CI excludes 0), ``not reproduced`` when a resolved order
  contradicts the paper's, ``indeterminate`` when some order is not resolved and none
  contradicts;
- a claim tested on several independent training runs of the same configuration has the
  status the runs share; where their statuses differ it is ``indeterminate`` (it depends on
  the training run).
"""

from __future__ import annotations

__all__ = ["STATUSES", "number_status", "comparison_status", "rank_status", "runs_status"]

STATUSES = ("reproduced", "direction only", "indeterminate", "not reproduced")
"""Every status a reproduced number or claim can have, best first."""


def number_status(paper: float, ours: float, low: float | None, high: float | None, tolerance: float,
                  otherwise: str) -> str:
    """Status of one reproduced number under the scorecard's rules.

    Parameters
    ----------
    paper, ours : float
        The paper's value and our estimate.
    low, high : float or None
        Our 95% CI (None: no CI).
    tolerance : float
        Relative tolerance of the row.
    otherwise : str
        The status when neither the tolerance nor the CI decides (``direction only`` or
        ``not reproduced``, from the row's looser bound).

    Examples
    --------
    >>> number_status(105.0, 100.0, 90.0, 110.0, 0.10, "not reproduced")
    'reproduced'
    >>> number_status(-500.0, -1e3, -1e15, -1e2, 0.10, "not reproduced")
    'indeterminate'
    """
    if abs(ours - paper) <= tolerance * abs(paper):
        return "reproduced"
    if low is not None and high is not None and low <= paper <= high:
        return "reproduced" if high - low <= 2 * tolerance * abs(paper) else "indeterminate"
    if otherwise not in ("direction only", "not reproduced"):
        raise ValueError(f"otherwise must be 'direction only' or 'not reproduced', got {otherwise!r}")
    return otherwise


def comparison_status(difference_low: float, difference_high: float) -> str:
    """Status of "A beats B" from the 95% CI of the paired difference A - B.

    Examples
    --------
    >>> comparison_status(0.5, 3.0), comparison_status(-1.1, 4.8), comparison_status(-9.0, -2.0)
    ('reproduced', 'indeterminate', 'not reproduced')
    """
    if difference_low > 0:
        return "reproduced"
    return "indeterminate" if difference_high >= 0 else "not reproduced"


def rank_status(orders: list[tuple[bool, float, float]]) -> str:
    """Status of one method's rank among others, for a quantity (a time) whose values are
    not comparable across machines.

    Parameters
    ----------
    orders : list of (bool, float, float)
        One entry per other method: whether the paper has this method below the other, and
        the 95% CI (low, high) of our paired difference, this method minus the other.

    Examples
    --------
    >>> rank_status([(True, -3.0, -1.0), (False, 0.5, 2.0)])
    'direction only'
    >>> rank_status([(True, -3.0, -1.0), (False, -0.2, 0.1)])
    'indeterminate'
    >>> rank_status([(True, 1.0, 3.0), (False, -0.2, 0.1)])
    'not reproduced'
    """
    if not orders:
        raise ValueError("orders is empty: a rank needs at least one other method")
    # each order is the claim "the paper's slower method minus its faster one is above 0", read as above
    verdicts = {comparison_status(-high, -low) if below else comparison_status(low, high)
                for below, low, high in orders}
    if "not reproduced" in verdicts:
        return "not reproduced"
    return "indeterminate" if "indeterminate" in verdicts else "direction only"


def runs_status(statuses: list[str]) -> str:
    """Status of a claim tested on several independent training runs of one configuration.

    Parameters
    ----------
    statuses : list of str
        The claim's status on each run (each one of :data:`STATUSES`).

    Examples
    --------
    >>> runs_status(["not reproduced", "not reproduced"])
    'not reproduced'
    >>> runs_status(["not reproduced", "reproduced"])
    'indeterminate'
    """
    if not statuses:
        raise ValueError("statuses is empty: a verdict over training runs needs at least one run")
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise ValueError(f"statuses must be among {list(STATUSES)}, got {unknown}")
    return statuses[0] if len(set(statuses)) == 1 else "indeterminate"
