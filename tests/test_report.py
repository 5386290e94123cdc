"""The book's table helper: numbers as a reader reads them, text cells escaped with their
inline code rendered, no index and no 'nan'."""

import numpy as np
import pandas as pd
import pytest

from hudnlib.report import format_number, tidy


@pytest.mark.parametrize(("value", "digits", "text"), [
    (57.259, 4, "57.26"),
    (0.0945, 3, "0.0945"),
    (1020.0, 3, "1,020"),
    (-302714.2, 4, "-302,714"),
    (999.6, 3, "1,000"),
    (9.5e-05, 3, "9.5·10⁻⁵"),
    (-1.49e15, 3, "-1.49·10¹⁵"),
    (np.nan, 3, ""),
    (None, 3, ""),
    (np.inf, 3, "∞"),
    (-np.inf, 3, "-∞"),
])
def test_format_number(value, digits, text):
    assert format_number(value, digits) == text


def test_tidy_renders_code_escapes_text_and_hides_index():
    table = pd.DataFrame({"claim": ["`util.py` ~l.27: A < B", None], "value": [1.5e-5, np.nan],
                          "count": [3, 12000], "kept": [True, False]}, index=[7, 8])
    html = tidy(table).to_html()
    assert "<code>util.py</code> ~l.27: A &lt; B" in html
    assert "1.5·10⁻⁵" in html and "12,000" in html
    assert ">yes<" in html and ">no<" in html and "True" not in html
    assert "`" not in html and "nan" not in html.lower().replace("nanos", "")
    assert ">7<" not in html and ">8<" not in html  # no index column
