"""A malformed CSV file is reported by file, line and what is wrong with the line.

Before, a short row or an open quote made DuckDB's sniffer guess another
dialect and the analyses reported "missing required columns E1, E2 …" for a
file whose header was right. Lines are physical lines, the header is line 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.support import random_servqual
from touchpoint.engine import InputError, csi, kano, servqual, zone
from touchpoint.engine.csv_check import delimiter_of, structure_problem


def _servqual_lines(n: int = 12) -> list[str]:
    columns = random_servqual(n, seed=3, missing=0.0)
    names = list(columns)
    lines = [",".join(names)]
    for r in range(n):
        lines.append(",".join(_text(columns[name][r]) for name in names))
    return lines


def _text(value: object) -> str:
    return str(int(value)) if isinstance(value, float) else str(value)


def _write(tmp_path: Path, lines: list[str], name: str = "survey.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _raises(path: Path, run: Callable[[Path], object], text: str) -> InputError:
    with pytest.raises(InputError) as info:
        run(path)
    assert str(info.value) == f"{path} {text}"
    return info.value


def test_short_row_names_the_line_and_the_field_counts(tmp_path: Path) -> None:
    lines = _servqual_lines()
    width = len(lines[0].split(","))
    lines[6] = ",".join(lines[6].split(",")[:3])
    error = _raises(_write(tmp_path, lines), servqual, f"line 7: 3 fields, the header has {width}")
    assert error.line == 7 and error.row is None


def test_long_row(tmp_path: Path) -> None:
    lines = _servqual_lines()
    width = len(lines[0].split(","))
    lines[4] += ",7"
    _raises(
        _write(tmp_path, lines), servqual, f"line 5: {width + 1} fields, the header has {width}"
    )


def test_unterminated_quote_in_the_middle(tmp_path: Path) -> None:
    lines = _servqual_lines()
    cells = lines[8].split(",")
    cells[1] = '"' + cells[1]
    lines[8] = ",".join(cells)
    lines[10] = '"' + lines[10]  # the next quote in the file closes the open one
    path = _write(tmp_path, lines)
    _raises(path, servqual, "line 9: unterminated quote (the quoted field runs on to line 11)")


@pytest.mark.parametrize("header", ['"wifi_f","wifi_d","note"', "wifi_f,wifi_d,note"])
def test_unterminated_quote_to_the_end_of_the_file(tmp_path: Path, header: str) -> None:
    """Also in a file with no other quote, which DuckDB would read as unquoted."""
    lines = [header, "1,5,ok", '2,4,"never closed', "3,3,fine"]
    path = _write(tmp_path, lines)
    _raises(path, kano, "line 3: unterminated quote (the quoted field runs to the end of the file)")


def test_short_row_past_the_sniffed_sample(tmp_path: Path) -> None:
    """DuckDB samples the first rows; a short row far below fails only when read."""
    body = [f"{1 + k % 10},{1 + (k * 7) % 10}" for k in range(30_000)]
    body[25_000] = "4"
    path = _write(tmp_path, ["C1,C2", *body])
    _raises(path, lambda p: csi(p, ["C1", "C2"], (1, 10)), "line 25002: 1 fields, the header has 2")
    kano_body = [f"{1 + k % 5},{1 + (k * 3) % 5}" for k in range(30_000)]
    kano_body[29_000] = "1,2,3"
    kano_path = _write(tmp_path, ["wifi_f,wifi_d", *kano_body], "kano.csv")
    _raises(kano_path, kano, "line 29002: 3 fields, the header has 2")


def test_zone_and_semicolon_files(tmp_path: Path) -> None:
    names = [f"{p}{i}" for p in "ADP" for i in range(1, 23)]
    rows = [";".join("4" for _ in names) for _ in range(5)]
    rows[2] = "4;4"
    path = _write(tmp_path, [";".join(names), *rows])
    _raises(path, zone, "line 4: 2 fields, the header has 66")


def test_good_files_still_work(tmp_path: Path) -> None:
    lines = _servqual_lines()
    assert servqual(_write(tmp_path, lines)).n_respondents == 12
    # Quoted commas, a quoted line break and a blank line are not shape problems.
    text = ["wifi_f,wifi_d,note", '1,5,"fast, friendly"', '2,5,"two', 'lines"', "", "1,4,plain"]
    path = _write(tmp_path, text, "notes.csv")
    assert structure_problem(path, str(path), ".csv") is None
    assert kano(path).to_dict()["features"][0]["n"] == 3


def test_delimiter_of_the_header() -> None:
    assert delimiter_of("a,b,c", ".csv") == ","
    assert delimiter_of("a;b;c", ".csv") == ";"
    assert delimiter_of('"a,x";b;c', ".txt") == ";"
    assert delimiter_of("a,b", ".tsv") == "\t"
    assert delimiter_of("single", ".csv") == ","


@pytest.mark.parametrize("line", [1, 6])
def test_a_gbk_file_names_its_first_line_that_is_not_utf8(tmp_path: Path, line: int) -> None:
    """Excel's plain CSV on a Chinese Windows is GBK: DuckDB said only "CSV Error on
    Line: 1"; the error names the line, the byte and the way out."""
    lines = _servqual_lines()
    if line == 1:
        lines[0] = "渠道," + lines[0]
        lines[1:] = ["网点," + text for text in lines[1:]]
    else:
        lines[line - 1] = lines[line - 1] + "，"  # a full-width comma in one data line
    path = tmp_path / "survey.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    with pytest.raises(InputError) as info:
        servqual(path)
    error = info.value
    assert error.line == line, str(error)
    assert str(error).startswith(f"{path} line {line}: not UTF-8 text (byte ")
    assert "iconv -f GB18030 -t UTF-8" in str(error)
