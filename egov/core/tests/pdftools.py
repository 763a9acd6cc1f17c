"""Reading a rendered PDF back as a person would see it, with poppler's `pdftotext`: the text
(diacritics and all) and where each word sits on the page."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def _run(content: bytes, *options: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(content)
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", *options, str(source), "-"],
            capture_output=True,
            check=True,
        )
    return done.stdout.decode("utf-8")


def pdf_text(content: bytes) -> str:
    """The text in the order it was laid out (`-raw`: a table cell's wrapped lines stay together
    instead of interleaving with the next cell's), whitespace runs made one space."""
    return " ".join(_run(content, "-raw").split())


@dataclass(frozen=True)
class Word:
    page: int
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    text: str


def pdf_words(content: bytes) -> list[Word]:
    """Every word with its box (points, from the page's top left), page by page."""
    words = []
    for page, chunk in enumerate(_run(content, "-bbox").split("<page ")[1:], start=1):
        for x0, y0, x1, y1, text in WORD.findall(chunk):
            words.append(
                Word(page, float(x0), float(y0), float(x1), float(y1), html.unescape(text))
            )
    return words
