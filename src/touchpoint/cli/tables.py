"""Report tables that stay readable on any terminal width.

A Rich table wider than the console squeezes its columns until values read
``fre…`` and ``0.…``. :class:`FittedTable` decides at print time, knowing the
console's width: a table that fits is printed as it always was; one that does
not is split into column groups, each repeating the row labels (the leading
text columns); when even a single column beside the labels does not fit, every
row becomes a block of ``key: value`` lines. No value is ever cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, JustifyMethod, RenderableType, RenderResult
    from rich.table import Table

__all__ = ["FittedTable"]

#: A width no table reaches: measuring at it gives a table's natural width.
_UNBOUNDED = 1_000_000


class FittedTable:
    """A titled table of text cells (Rich markup allowed) fitted to the console.

    The first ``text_columns`` columns are left-aligned labels, the rest are
    right-aligned numbers; ``title_justify`` places the title as Rich does.
    """

    def __init__(
        self,
        title: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        text_columns: int = 1,
        title_justify: JustifyMethod = "left",
    ) -> None:
        self.title = title
        self.headers = list(headers)
        self.rows = [list(row) for row in rows]
        self.text_columns = text_columns
        self.title_justify: JustifyMethod = title_justify

    def table(self, columns: Sequence[int] | None = None, title: str | None = None) -> Table:
        """The Rich table of ``columns`` (positions; all when ``None``)."""
        from rich.table import Table

        chosen = range(len(self.headers)) if columns is None else columns
        table = Table(
            title=self.title if title is None else title,
            title_justify=self.title_justify,
            show_lines=False,
        )
        for k in chosen:
            table.add_column(self.headers[k], justify="left" if k < self.text_columns else "right")
        for row in self.rows:
            table.add_row(*(row[k] for k in chosen))
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self._natural_width(console, options, None) <= width:
            yield self.table()
            return
        parts = self._column_groups(console, options, width)
        if parts is None:
            yield from self._records()
            return
        for number, part in enumerate(parts):
            title = self.title if number == 0 else f"{self.title} (continued)"
            yield self.table(part, title)

    def _natural_width(
        self, console: Console, options: ConsoleOptions, columns: Sequence[int] | None
    ) -> int:
        from rich.measure import Measurement

        unbounded = options.update_width(_UNBOUNDED)
        return Measurement.get(console, unbounded, self.table(columns)).maximum

    def _column_groups(
        self, console: Console, options: ConsoleOptions, width: int
    ) -> list[list[int]] | None:
        """Column positions of tables that each fit ``width``, labels repeated in each.

        As few tables as fit, as even in width as that many allow (the
        narrowest limit that still needs no more tables). ``None`` when the
        labels and any single other column are too wide.
        """
        labels = list(range(min(self.text_columns, len(self.headers))))
        others = list(range(len(labels), len(self.headers)))
        if not labels or not others:
            return None
        # A table's width is the sum of its columns' widths less what adjacent
        # columns share (one border): measured once here, not per candidate.
        alone = {k: self._natural_width(console, options, [*labels, k]) for k in others}
        base = self._natural_width(console, options, labels)
        added = {k: alone[k] - base for k in others}
        parts = _greedy(others, added, width - base)
        if parts is None or len(parts) < 2:
            return self._checked(console, options, width, labels, parts)
        low, high = 1, width
        while low < high:
            middle = (low + high) // 2
            tried = _greedy(others, added, middle - base)
            if tried is not None and len(tried) <= len(parts):
                high = middle
            else:
                low = middle + 1
        return self._checked(console, options, width, labels, _greedy(others, added, high - base))

    def _checked(
        self,
        console: Console,
        options: ConsoleOptions,
        width: int,
        labels: list[int],
        parts: list[list[int]] | None,
    ) -> list[list[int]] | None:
        """``parts`` with the labels in front, if each such table truly fits."""
        if parts is None:
            return None
        tables = [[*labels, *part] for part in parts]
        if any(self._natural_width(console, options, t) > width for t in tables):
            return None
        return tables

    def _records(self) -> Iterable[RenderableType]:
        """One block of ``key: value`` lines per row, a blank line between blocks."""
        from rich.table import Table
        from rich.text import Text

        yield Text(self.title, style="table.title")
        for number, row in enumerate(self.rows):
            if number:
                yield Text("")
            block = Table.grid(padding=(0, 1))
            block.add_column(style="table.header", no_wrap=True)
            block.add_column(overflow="fold")
            for header, value in zip(self.headers, row, strict=True):
                block.add_row(f"{header}:", value)
            yield block


def _greedy(columns: Sequence[int], added: dict[int, int], room: int) -> list[list[int]] | None:
    """Columns in order, a new group whenever the next would exceed ``room``."""
    parts: list[list[int]] = []
    current: list[int] = []
    used = 0
    for k in columns:
        if added[k] > room:
            return None
        if current and used + added[k] > room:
            parts.append(current)
            current, used = [], 0
        current.append(k)
        used += added[k]
    if current:
        parts.append(current)
    return parts
