"""The one error class of the engine: bad input, named down to the cell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["InputError", "format_value", "named_twice", "weights_refused"]


def format_value(value: object) -> str:
    """Show a cell value as the user typed it: text quoted, numbers plain."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class InputError(ValueError):
    """Input the analysis cannot use; nothing partial is returned.

    The message names the source (file path or ``<DataFrame>``) and, when the
    problem is a cell, its 1-based data row (the header is not counted), the
    column and the value, e.g.
    ``survey.csv: row 3, column E5: value 9 is outside the scale 1–7``.
    A problem with the file's text rather than a cell names the physical
    ``line`` of the file instead (the header is line 1), e.g.
    ``survey.csv line 7: 3 fields, the header has 12``.
    """

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        line: int | None = None,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.source = source
        # A message code and its params, for a page to say the problem in its language.
        self.code = code
        self.params: Mapping[str, object] = params or {}
        self.problem = problem
        self.row = row
        self.column = column
        self.value = value
        self.line = line
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        place = source if line is None else f"{source} line {line}"
        prefix = f"{place}: " + (", ".join(where) + ": " if where else "")
        super().__init__(prefix + problem)

    def with_source(self, source: str) -> InputError:
        """The same problem named in ``source`` (e.g. the export a snapshot stands for)."""
        return InputError(
            source,
            self.problem,
            row=self.row,
            column=self.column,
            value=self.value,
            line=self.line,
            code=self.code,
            params=self.params,
        )


def named_twice(option: str, names: Sequence[str]) -> InputError:
    """A list option (``--items``) naming a column twice."""
    return InputError(
        option,
        "a column is named twice",
        code="option_named_twice",
        params={"field": option.removeprefix("--"), "value": ",".join(names)},
    )


def weights_refused(
    exc: ValueError, weights: Sequence[float] | Mapping[str, float] | None
) -> InputError:
    """The ``--weights`` option refused for the reason ``exc`` gives."""
    if weights is None:
        shown = ""
    elif isinstance(weights, Mapping):
        shown = ", ".join(f"{name}={format_value(w)}" for name, w in weights.items())
    else:
        shown = ",".join(format_value(w) for w in weights)
    return InputError(
        "--weights", str(exc), code="option_weights", params={"field": "weights", "value": shown}
    )
