"""Presentation helpers for the book: computed verdict boxes and tidy tables.

Nothing here computes a result; it turns tables computed by :mod:`hudnlib.experiments`
into what a chapter shows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from IPython.display import Markdown

from hudnlib.experiments.status_rules import STATUSES
from hudnlib.numbers import format_number

__all__ = ["verdict_box", "count_verdicts", "tidy", "format_number", "paper_beside_ours", "split_notes", "VERDICTS"]

_ADMONITION = {"reproduced": "tip", "partly": "warning", "direction only": "warning", "indeterminate": "warning",
               "not reproduced": "danger", "answer": "note"}


VERDICTS = (STATUSES[0], "partly", *STATUSES[1:])
"""Every verdict a chapter shows, best first (``partly``: paper A's looser tolerance band;
``direction only`` and ``indeterminate``: the written rules of
:mod:`hudnlib.experiments.status_rules`)."""


def count_verdicts(verdicts: Iterable[str]) -> dict[str, int]:
    """How many of each verdict of :data:`VERDICTS` (zero included), in that order.

    >>> count_verdicts(["reproduced", "indeterminate", "reproduced"])["reproduced"]
    2
    """
    verdicts = list(verdicts)
    unknown = set(verdicts) - set(VERDICTS)
    if unknown:
        raise ValueError(f"verdicts must be among {VERDICTS}, got {sorted(unknown)}")
    return {v: verdicts.count(v) for v in VERDICTS}


def verdict_box(title: str, lines: Iterable[str], worst: str = "partly") -> Markdown:
    """A MyST admonition with the chapter's computed verdict.

    Parameters
    ----------
    title : str
        One line: the verdict itself.
    lines : iterable of str
        Bullet points (already computed numbers, formatted); empty strings are skipped.
    worst : {"reproduced", "partly", "direction only", "indeterminate", "not reproduced", "answer"}
        Colours the box (``answer``: a question beyond the papers, not a reproduction).
    """
    if worst not in _ADMONITION:
        raise ValueError(f"worst must be one of {list(_ADMONITION)}, got {worst!r}")
    body = "\n".join(f"- {line}" for line in lines if line)
    return Markdown(f":::{{admonition}} {title}\n:class: {_ADMONITION[worst]}\n{body}\n:::\n")


def _cell_text(value: object) -> str:
    """A text cell: HTML-escaped, with ``inline code`` in backticks rendered as code; a
    boolean as yes / no."""
    if value is None or value != value:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(value), quote=False))


def paper_beside_ours(table: pd.DataFrame, unit: str | None = None) -> pd.DataFrame:
    """A table of the paper's values beside ours, with the headers a page shows.

    ``paper``/``reproduced`` get the ``unit`` (e.g. ``"[bit/s/Hz]"``), ``reproduced`` reads
    "ours", the CI bounds say they are 95% bounds, ``relative`` becomes the deviation in
    percent of the paper (the absolute ``deviation`` is then dropped), ``reproduced [s]`` reads
    "ours [s]" and ``share of paper time`` becomes a percentage. Other columns are kept.

    >>> t = pd.DataFrame({"paper": [100.0], "reproduced": [90.0], "deviation": [-10.0], "relative": [-0.1]})
    >>> list(paper_beside_ours(t, "[bit/s/Hz]").iloc[0].items())
    [('paper [bit/s/Hz]', 100.0), ('ours [bit/s/Hz]', 90.0), ('deviation [%]', -10.0)]
    """
    table = table.copy()
    if "relative" in table:
        table["relative"] = 100 * table["relative"]
        table = table.drop(columns="deviation", errors="ignore")
    if "share of paper time" in table:
        table["share of paper time"] = 100 * table["share of paper time"]
    suffix = f" {unit}" if unit else ""
    return table.rename(columns={
        "paper": f"paper{suffix}", "reproduced": f"ours{suffix}", "CI low": "95% CI low", "CI high": "95% CI high",
        "relative": "deviation [%]", "reproduced [s]": "ours [s]", "share of paper time": "ours / paper [%]"})


def split_notes(table: pd.DataFrame, column: str = "note", key: str = "method") -> tuple[pd.DataFrame, str]:
    """A table's long free-text notes moved under it, so that they do not squeeze its columns.

    Returns the table without ``column``, each ``key`` with a note marked ``[1]``, ``[2]``, ...,
    and the notes as Markdown lines (empty when no row has a note).

    >>> t = pd.DataFrame({"method": ["A", "B"], "x": [1.0, 2.0], "note": ["", "median of 3 events"]})
    >>> shown, notes = split_notes(t)
    >>> list(shown["method"]), notes
    (['A', 'B [1]'], '[1] B: median of 3 events')
    """
    noted = table[column].fillna("") != ""
    marks = {i: f"[{n}]" for n, i in enumerate(table.index[noted], start=1)}
    shown = table.drop(columns=column).assign(**{key: [f"{v} {marks[i]}" if i in marks else v
                                                       for i, v in table[key].items()]})
    notes = "\n\n".join(f"{marks[i]} {table.loc[i, key]}: {table.loc[i, column]}" for i in marks)
    return shown, notes


def tidy(table: pd.DataFrame, digits: int = 3) -> pd.io.formats.style.Styler:
    """A table for the page: no index, small type (it must fit a 700-px column), floats by
    :func:`format_number` to ``digits`` significant digits, integers in full, blanks for
    missing values, text HTML-escaped with its backticked code rendered."""
    table = table.reset_index(drop=True)
    integers = list(table.select_dtypes("integer").columns)
    return (table.style.hide(axis="index")
            .set_properties(**{"font-size": "0.82em", "padding": "2px 4px"})
            .set_table_styles([{"selector": "th", "props": [("font-size", "0.82em"), ("padding", "2px 4px")]}])
            .format(lambda v: format_number(v, digits),
                    subset=[c for c in table.select_dtypes("number").columns if c not in integers])
            .format(lambda v: f"{v:,}", subset=integers)
            .format(_cell_text, subset=list(table.select_dtypes(exclude="number").columns)))
