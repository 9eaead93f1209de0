"""Plain-text tables that line up when cells mix Chinese (two columns wide) and Latin text."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _clip(text: str, limit: int) -> str:
    if display_width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[int] = (),
    max_width: int = 48,
) -> str:
    """Columns padded to the widest cell (cells clipped at ``max_width`` columns with "…");
    column indexes in ``right`` are right-aligned (numbers)."""
    cells = [[_clip(str(c), max_width) for c in row] for row in rows]
    heads = [_clip(h, max_width) for h in headers]
    widths = [display_width(h) for h in heads]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    aligned = set(right)
    lines = [
        "  ".join(_pad(h, widths[i], i in aligned) for i, h in enumerate(heads)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for row in cells:
        lines.append(
            "  ".join(_pad(c, widths[i], i in aligned) for i, c in enumerate(row)).rstrip()
        )
    return "\n".join(lines)
