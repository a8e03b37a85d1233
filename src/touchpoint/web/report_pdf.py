"""The wave report as a one-page A4 PDF, drawn on the server with reportlab: no browser,
no network, no font file (Chinese in reportlab's built-in CID font ``STSong-Light``,
which every PDF reader supplies; Latin text in the standard Helvetica).

The page says what the HTML report says (:mod:`touchpoint.web.report_layout`): the
wave's facts, the headline figures, the chart (drawn with ``reportlab.graphics``: gap
bars, the zone-of-tolerance band with the perception marker, the Kano plane, or the
score with its 95 % interval as whiskers), the table and the method notes. Everything
sits in one frame that shrinks to fit, so the report is always exactly one page.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from touchpoint.services.wave_report import WaveReport
from touchpoint.web.report_layout import ReportLayout

__all__ = ["report_pdf"]

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

_MARGIN = 14 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_HEIGHT = A4[1] - 2 * _MARGIN
_CHART_HEIGHT = 62 * mm
_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#616e7c")
_LINE = colors.HexColor("#d9e2ec")
_BAR = colors.HexColor("#c53030")  # the pages' gap colour (web.charts)
_BAND = colors.HexColor("#3182ce")
_DOT = colors.HexColor("#0b6e4f")
# Glyphs neither Helvetica's encoding nor the Chinese CID font reliably has.
_PLAIN = str.maketrans({"−": "-", "ᵢ": "i", "ₜ": "T", "′": "'"})


def _latin(text: str) -> bool:
    """Whether Helvetica can set ``text`` (reportlab sets it in WinAnsi, cp1252)."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _font(text: str) -> str:
    """The font a chart label is set in: Helvetica if it can, else the Chinese font."""
    return LATIN_FONT if _latin(text) else CJK_FONT


def _markup(text: str) -> str:
    """``text`` as paragraph markup: escaped, runs Helvetica cannot set in the CID
    font (so numbers and Latin words stay plain text in the PDF)."""
    out: list[str] = []
    run: list[str] = []
    cjk = False
    for char in text.translate(_PLAIN) + "\0":
        is_cjk = char != "\0" and not _latin(char)
        if (is_cjk != cjk or char == "\0") and run:
            chunk = escape("".join(run))
            out.append(f'<font name="{CJK_FONT}">{chunk}</font>' if cjk else chunk)
            run = []
        cjk = is_cjk
        run.append(char)
    return "".join(out)


def _style(size: float, *, cjk: bool, bold: bool = False, colour: Any = _INK) -> ParagraphStyle:
    return ParagraphStyle(
        f"report-{size}-{bold}-{cjk}",
        fontName=LATIN_BOLD if bold else LATIN_FONT,
        fontSize=size,
        leading=size * 1.3,
        textColor=colour,
        wordWrap="CJK" if cjk else None,
    )


class _Styles:
    """The report's paragraph styles; ``cjk``: Chinese line breaking (no spaces)."""

    def __init__(self, cjk: bool) -> None:
        self.title = _style(15, cjk=cjk, bold=True)
        self.h2 = _style(10.5, cjk=cjk, bold=True)
        self.body = _style(9, cjk=cjk)
        self.small = _style(8, cjk=cjk)
        self.muted = _style(8, cjk=cjk, colour=_MUTED)
        self.note = _style(7.2, cjk=cjk, colour=_MUTED)
        self.cell = _style(8, cjk=cjk)
        self.number = ParagraphStyle("report-number", parent=self.cell, alignment=2)
        self.head = _style(7.5, cjk=cjk, bold=True, colour=_MUTED)
        self.head_number = ParagraphStyle("report-head-number", parent=self.head, alignment=2)


def report_pdf(
    report: WaveReport, shown: ReportLayout, *, invariant: bool = False, compress: bool = True
) -> bytes:
    """The report as the bytes of a one-page A4 PDF. ``invariant`` leaves out the
    creation date and document id (byte-identical output for the same report);
    ``compress`` False writes the page's drawing operators as plain text."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=shown.title,
        author="touchpoint",
        invariant=int(invariant),
        pageCompression=int(compress),
    )
    styles = _Styles(cjk=shown.names.get("tangibles") != "Tangibles")
    story = _story(report, shown, styles)
    # The frame's own padding (6 pt a side) leaves this much room: shrink into it.
    doc.build([KeepInFrame(_WIDTH - 12, _HEIGHT - 12, story, mode="shrink")])
    return buffer.getvalue()


def _story(report: WaveReport, shown: ReportLayout, st: _Styles) -> list[Flowable]:
    """The page's flowables from top to bottom."""
    flow: list[Flowable] = [
        Paragraph(_markup(shown.title), st.title),
        Spacer(1, 3 * mm),
        _facts(shown, st),
        Spacer(1, 3 * mm),
    ]
    if shown.enough and report.instrument is not None:
        flow += [
            _headline(shown, st),
            Spacer(1, 3 * mm),
            Paragraph(f"{report.instrument.value.upper()} · n = {report.n}", st.h2),
            Paragraph(_markup(shown.chart_title), st.muted),
            _chart(report, shown),
            Spacer(1, 2 * mm),
            _table(shown, st),
        ]
    elif report.instrument is not None:
        flow.append(Paragraph(_markup(shown.not_enough), st.body))
    flow += [Spacer(1, 3 * mm), Paragraph(_markup(shown.notes_title), st.h2)]
    flow += [Paragraph("• " + _markup(note), st.note) for note in shown.notes]
    return flow


def _facts(shown: ReportLayout, st: _Styles) -> Table:
    """The wave's facts, five to a row: the label small above its value."""
    cells = [
        Paragraph(
            f'<font size="6.8" color="#616e7c">{_markup(label)}</font><br/><b>{_markup(value)}</b>',
            st.small,
        )
        for label, value in shown.facts
    ]
    rows = [cells[i : i + 5] + [""] * (5 - len(cells[i : i + 5])) for i in range(0, len(cells), 5)]
    table = Table(rows, colWidths=[(_WIDTH - 12) / 5] * 5)
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2)])
    )
    return table


def _headline(shown: ReportLayout, st: _Styles) -> Table:
    """The headline figures side by side, each in a box: value large, label below."""
    cells = [
        Paragraph(
            f'<font size="11"><b>{_markup(value)}</b></font><br/>'
            f'<font size="7" color="#616e7c">{_markup(label)}</font>',
            st.body,
        )
        for label, value in shown.headline
    ]
    width = (_WIDTH - 12) / max(len(cells), 1)
    table = Table([cells], colWidths=[width] * len(cells))
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, _LINE),
                ("INNERGRID", (0, 0), (-1, -1), 0.6, _LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _numeric(raw: object) -> bool:
    """Whether a cell holds a number (set right-aligned); a yes/no is no number."""
    return isinstance(raw, float | int) and not isinstance(raw, bool)


def _table(shown: ReportLayout, st: _Styles) -> Table:
    """The analysis's table, numbers right-aligned (their headings too), a rule under
    each row."""
    first = shown.rows[0] if shown.rows else []
    right = [i < len(first) and _numeric(first[i].raw) for i in range(len(shown.columns))]
    head = [
        Paragraph(_markup(c), st.head_number if right[i] else st.head)
        for i, c in enumerate(shown.columns)
    ]
    body = [
        [Paragraph(_markup(c.text), st.number if _numeric(c.raw) else st.cell) for c in row]
        for row in shown.rows
    ]
    table = Table([head, *body], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, _LINE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _chart(report: WaveReport, shown: ReportLayout) -> Drawing:
    """The chart that fits the analysis, the width of the page."""
    width = _WIDTH - 12
    if report.gaps:
        names = [shown.names.get(g.dimension, g.dimension) for g in report.gaps]
        spans: list[tuple[float | None, float | None]] = [(0.0, g.gap) for g in report.gaps]
        labels = [row[3].text for row in shown.rows]  # the table's P − E column
        return _columns(width, names, spans, [None] * len(names), labels)
    if report.zone:
        names = [shown.names.get(z.dimension, z.dimension) for z in report.zone]
        spans = [(z.adequate, z.desired) for z in report.zone]
        return _columns(width, names, spans, [z.perception for z in report.zone], [])
    if report.kano:
        return _kano(width, report)
    return _score(width, report, shown)


def _rect(
    x: float, y: float, width: float, height: float, *, fill: Any, stroke: Any = None
) -> Rect:
    """A rectangle with its fill and outline (set as attributes: the stubs mistype the
    constructor's keyword arguments)."""
    rect = Rect(x, y, width, height)
    rect.fillColor = fill
    rect.strokeColor = stroke
    rect.strokeWidth = 0.6
    return rect


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering
    ``low``…``high``."""
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step + 1e-9) * step
    steps = math.ceil((high - start) / step - 1e-9)
    return [start + i * step for i in range(steps + 1)]


def _tick_text(value: float) -> str:
    """A tick's value, short (``-0.5``, ``2``, ``12.5``)."""
    return f"{value:g}"


def _columns(
    width: float,
    names: Sequence[str],
    spans: Sequence[tuple[float | None, float | None]],
    markers: Sequence[float | None],
    labels: Sequence[str],
) -> Drawing:
    """A column per category: a bar over ``spans`` (from 0 to a gap, or a zone's
    adequate to desired level), a dot at ``markers`` (perception), ``labels`` at the
    bars' ends, the value axis with its grid on the left."""
    d = Drawing(width, _CHART_HEIGHT)
    left, bottom, top, right = 30.0, 16.0, 10.0, 6.0
    values = [v for span in spans for v in span if v is not None]
    values += [m for m in markers if m is not None]
    ticks = _ticks(min(values, default=0.0), max(values, default=1.0))
    low, high = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return bottom + (v - low) / (high - low) * (_CHART_HEIGHT - bottom - top)

    for t in ticks:
        d.add(Line(left, y(t), width - right, y(t), strokeColor=_LINE, strokeWidth=0.5))
        d.add(
            String(
                left - 3,
                y(t) - 2.5,
                _tick_text(t),
                fontName=LATIN_FONT,
                fontSize=7,
                fillColor=_MUTED,
                textAnchor="end",
            )
        )
    if low < 0 < high:
        d.add(Line(left, y(0), width - right, y(0), strokeColor=_MUTED, strokeWidth=0.8))
    band = (width - left - right) / max(len(names), 1)
    for i, name in enumerate(names):
        cx = left + band * (i + 0.5)
        a, b = spans[i]
        if a is not None and b is not None:
            colour = _BAND if any(m is not None for m in markers) else _BAR
            d.add(_rect(cx - band / 4, y(min(a, b)), band / 2, abs(y(b) - y(a)), fill=colour))
            if labels:
                above = b >= a
                d.add(
                    String(
                        cx,
                        y(b) + (3 if above else -9),
                        labels[i].translate(_PLAIN),
                        fontName=LATIN_FONT,
                        fontSize=7,
                        textAnchor="middle",
                    )
                )
        mark = markers[i] if markers else None
        if mark is not None:
            d.add(Circle(cx, y(mark), 3.5, fillColor=_BAR, strokeColor=colors.white))
        d.add(
            String(
                cx, 4, name, fontName=_font(name), fontSize=8, textAnchor="middle", fillColor=_INK
            )
        )
    return d


def _kano(width: float, report: WaveReport) -> Drawing:
    """The Kano plane: each feature at (|Worse|, Better) on 0…1, the halves marked;
    filled dots for categories that pass Fong's test, hollow ones for the rest."""
    d = Drawing(width, _CHART_HEIGHT)
    side = _CHART_HEIGHT - 24
    left, bottom = 40.0, 16.0

    def at(v: float) -> float:
        return v * side

    d.add(_rect(left, bottom, side, side, fill=None, stroke=_MUTED))
    d.add(Line(left + at(0.5), bottom, left + at(0.5), bottom + side, strokeColor=_LINE))
    d.add(Line(left, bottom + at(0.5), left + side, bottom + at(0.5), strokeColor=_LINE))
    for t in (0.0, 0.5, 1.0):
        d.add(
            String(
                left + at(t),
                bottom - 9,
                f"{t:g}",
                fontName=LATIN_FONT,
                fontSize=7,
                textAnchor="middle",
                fillColor=_MUTED,
            )
        )
        d.add(
            String(
                left - 3,
                bottom + at(t) - 2.5,
                f"{t:g}",
                fontName=LATIN_FONT,
                fontSize=7,
                textAnchor="end",
                fillColor=_MUTED,
            )
        )
    d.add(
        String(
            left + side / 2, 0, "|Worse|", fontName=LATIN_FONT, fontSize=7.5, textAnchor="middle"
        )
    )
    d.add(String(4, bottom + side / 2, "Better", fontName=LATIN_FONT, fontSize=7.5))
    for k in report.kano:
        x = left + at(min(abs(k.worse or 0.0), 1.0))
        yv = bottom + at(min(k.better or 0.0, 1.0))
        fill = _DOT if k.significant else colors.white
        d.add(Circle(x, yv, 3.5, fillColor=fill, strokeColor=_DOT, strokeWidth=1))
        d.add(String(x + 5, yv - 2.5, k.feature, fontName=_font(k.feature), fontSize=7))
    return d


def _score(width: float, report: WaveReport, shown: ReportLayout) -> Drawing:
    """The score as a dot with its 95 % interval as whiskers on a horizontal axis
    (CSAT, a share, in percent); no whiskers when the interval is not defined."""
    d = Drawing(width, 34 * mm)
    score = report.score
    if score is None or score.value is None:
        return d
    factor = 100.0 if score.label == "CSAT" else 1.0
    points = [v * factor for v in (score.value, score.low, score.high) if v is not None]
    ticks = _ticks(min(points), max(points))
    left, right, axis = 44.0, 10.0, 22.0
    cy = axis + 40

    def x(v: float) -> float:
        return left + (v - ticks[0]) / (ticks[-1] - ticks[0]) * (width - left - right)

    d.add(Line(left, axis, width - right, axis, strokeColor=_MUTED, strokeWidth=0.6))
    for t in ticks:
        d.add(Line(x(t), axis, x(t), axis - 3, strokeColor=_MUTED, strokeWidth=0.6))
        d.add(
            String(
                x(t),
                axis - 12,
                _tick_text(t),
                fontName=LATIN_FONT,
                fontSize=7,
                textAnchor="middle",
                fillColor=_MUTED,
            )
        )
    d.add(String(4, cy - 3, score.label, fontName=LATIN_BOLD, fontSize=9))
    row = shown.rows[0]
    if score.low is not None and score.high is not None:
        lo, hi = x(score.low * factor), x(score.high * factor)
        d.add(Line(lo, cy, hi, cy, strokeColor=_BAND, strokeWidth=2.5))
        for end, text in ((lo, row[-2].text), (hi, row[-1].text)):
            d.add(Line(end, cy - 6, end, cy + 6, strokeColor=_BAND, strokeWidth=1.5))
            d.add(
                String(
                    end,
                    cy - 17,
                    text.translate(_PLAIN),
                    fontName=LATIN_FONT,
                    fontSize=7,
                    textAnchor="middle",
                    fillColor=_MUTED,
                )
            )
    d.add(Circle(x(score.value * factor), cy, 5, fillColor=_DOT, strokeColor=colors.white))
    d.add(
        String(
            x(score.value * factor),
            cy + 9,
            row[1].text.translate(_PLAIN),
            fontName=LATIN_BOLD,
            fontSize=9,
            textAnchor="middle",
        )
    )
    return d
