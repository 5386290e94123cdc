"""Presentation helpers for the book: computed verdict boxes and tidy tables.

Nothing here computes a result; it turns tables computed by :mod:`hudnlib.experiments`
into what a chapter shows.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from IPython.display import Markdown

__all__ = ["verdict_box", "count_verdicts", "tidy"]

_ADMONITION = {"reproduced": "tip", "partly": "warning", "not reproduced": "danger", "answer": "note"}


def count_verdicts(verdicts: Iterable[str]) -> dict[str, int]:
    """How many of each verdict (reproduced / partly / not reproduced), in that order."""
    verdicts = list(verdicts)
    return {v: verdicts.count(v) for v in ("reproduced", "partly", "not reproduced")}


def verdict_box(title: str, lines: Iterable[str], worst: str = "partly") -> Markdown:
    """A MyST admonition with the chapter's computed verdict.

    Parameters
    ----------
    title : str
        One line: the verdict itself.
    lines : iterable of str
        Bullet points (already computed numbers, formatted); empty strings are skipped.
    worst : {"reproduced", "partly", "not reproduced", "answer"}
        Colours the box (``answer``: a question beyond the papers, not a reproduction).
    """
    if worst not in _ADMONITION:
        raise ValueError(f"worst must be one of {list(_ADMONITION)}, got {worst!r}")
    body = "\n".join(f"- {line}" for line in lines if line)
    return Markdown(f":::{{admonition}} {title}\n:class: {_ADMONITION[worst]}\n{body}\n:::\n")


def tidy(table: pd.DataFrame, digits: int = 3) -> pd.io.formats.style.Styler:
    """A table for the page: no index, small type (it must fit a 700-px column), floats to
    ``digits`` significant digits, integers in full, blanks for missing values."""
    table = table.reset_index(drop=True)
    integers = list(table.select_dtypes("integer").columns)
    return (table.style.hide(axis="index")
            .set_properties(**{"font-size": "0.82em", "padding": "2px 4px"})
            .set_table_styles([{"selector": "th", "props": [("font-size", "0.82em"), ("padding", "2px 4px")]}])
            .format(lambda v: "" if v is None or v != v else f"{v:.{digits}g}",
                    subset=[c for c in table.select_dtypes("number").columns if c not in integers])
            .format(lambda v: f"{v:,}", subset=integers)
            .format(lambda v: "" if v is None or v != v else v,
                    subset=list(table.select_dtypes(exclude="number").columns)))
