"""Every chapter of the book executes (at the quick scale, from the stored quick results)
without printing a warning, a traceback, a progress bar, an object repr or a stale-result
note into its page, and without e-notation, raw backticks or 'nan' in a table cell."""

import re
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(p for p in BOOK.rglob("*.md") if "_build" not in p.parts and "```{code-cell}" in p.read_text())

FORBIDDEN = {
    "a warning": re.compile(r"Warning[:\b]|warnings\.warn"),
    "a traceback": re.compile(r"Traceback \(most recent call last\)"),
    "a progress bar": re.compile(r"\d+%\|"),
    "an object repr": re.compile(r"<[\w.]+ object( at 0x[0-9a-f]+)?>|\b\w+Config\(samples="),
    "a stale-result note": re.compile(r"NOTE: |recomputing"),
}
# in a table cell (HTML output): what `hudnlib.report.tidy` writes otherwise
FORBIDDEN_IN_TABLES = {
    "a number in e-notation": re.compile(r"<td[^>]*>\s*[-+]?\d+(\.\d+)?e[-+]\d+\s*</td>"),
    "an unrendered backtick": re.compile(r"<td[^>]*>[^<]*`"),
    "a missing value as text": re.compile(r"<td[^>]*>\s*(nan|NaN|None|<NA>)\s*</td>"),
    "a raw boolean": re.compile(r"<td[^>]*>\s*(True|False)\s*</td>"),
}


def _texts(output):
    if output.get("output_type") == "stream":
        yield output["name"], output["text"]
    elif output.get("output_type") == "error":
        yield "error", "\n".join(output.get("traceback", []))
    else:  # what the page renders: the richest form; the plain text only when there is no other
        data = output.get("data", {})
        rich = [mime for mime in ("text/html", "text/markdown") if str(data.get(mime, "")).strip()]
        plain = ["text/plain"] if "text/plain" in data and not any(m.startswith("image/") for m in data) else []
        for mime in rich or plain:
            yield mime, data[mime]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: str(p.relative_to(BOOK)))
def test_chapter_executes_with_clean_output(chapter, monkeypatch):
    monkeypatch.setenv("HUDNLIB_SCALE", "quick")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = jupytext.read(chapter)
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(chapter.parent)}}).execute()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for kind, text in _texts(output):
                assert kind != "stderr", f"{chapter.name} writes to stderr: {text[:300]}"
                for what, pattern in FORBIDDEN.items():
                    assert not pattern.search(text), f"{chapter.name} prints {what}: {text[:300]}"
                if kind == "text/html":
                    for what, pattern in FORBIDDEN_IN_TABLES.items():
                        found = pattern.search(text)
                        assert not found, f"{chapter.name} shows {what} in a table: {found.group(0)[:200]}"
