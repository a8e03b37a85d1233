"""The words and formatted numbers of a wave's one-page report, shared by its HTML page
and its PDF so both say the same thing: the wave's facts, the headline figures, the
table of the analysis and the method notes (n, formulas, interval definitions).

Numbers are rounded here only (the service keeps full precision); each table cell also
keeps its unrounded value, which the page writes as ``data-value`` for checking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from touchpoint.services.wave_analysis import Instrument
from touchpoint.services.wave_report import Z_95, Headline, WaveReport
from touchpoint.web.i18n import Formatter, translations
from touchpoint.web.labels import DIMENSION

__all__ = ["Cell", "ReportLayout", "dimension_names", "layout"]

Raw = float | int | str | bool | None


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: the text shown and the unrounded value behind it."""

    text: str
    raw: Raw = None


@dataclass(frozen=True, slots=True)
class ReportLayout:
    """Everything the report prints, in the viewer's language."""

    title: str
    facts: list[tuple[str, str]]
    headline: list[tuple[str, str]]
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str]
    enough: bool
    not_enough: str
    chart_title: str
    notes_title: str
    names: dict[str, str] = field(default_factory=dict)


def dimension_names(_: Callable[[str], str]) -> dict[str, str]:
    """The SERVQUAL dimensions' and Kano categories' names in the viewer's language."""
    return {
        **{key: _(name) for key, name in DIMENSION.items()},
        "A": _("Attractive"),
        "O": _("One-dimensional"),
        "M": _("Must-be"),
        "I": _("Indifferent"),
        "R": _("Reverse"),
        "Q": _("Questionable"),
    }


class _Writer:
    """Formats the report's numbers for one locale."""

    def __init__(self, locale: str) -> None:
        self.gettext = translations(locale).gettext
        self.fmt = Formatter(locale)
        self.names = dimension_names(self.gettext)

    def number(self, value: float | None, digits: int = 2) -> Cell:
        """A number's cell: rounded to ``digits`` for the eye, the value kept."""
        return Cell(self.fmt.number(value, digits), value)

    def name(self, key: str | None) -> str:
        """A dimension's or Kano category's name ("—" for none, the key if unknown)."""
        return "—" if key is None else self.names.get(key, key)

    def score(self, label: str, value: float | None) -> str:
        """A score as its kind is read: CSAT a share in percent, NPS in points."""
        if label == "CSAT":
            return self.fmt.percent(value)
        return self.fmt.number(value, 1 if label == "NPS" else 2)


def layout(report: WaveReport, locale: str, min_n: int) -> ReportLayout:
    """The report's texts for ``locale``; below ``min_n`` answers no figure at all."""
    w = _Writer(locale)
    _ = w.gettext
    enough = report.enough(min_n)
    columns: list[str] = []
    rows: list[list[Cell]] = []
    if enough:
        columns, rows = _table(report, w)
    not_enough = _(
        "Not enough answers: %(n)s, at least %(m)s are needed before any figure is shown."
    ) % {"n": report.n, "m": min_n}
    return ReportLayout(
        title=_("Wave report") + " · " + report.wave.name,
        facts=_facts(report, w),
        headline=[_headline(h, w) for h in report.headline] if enough else [],
        columns=columns,
        rows=rows,
        notes=_notes(report, w, min_n),
        enough=enough,
        not_enough=not_enough,
        chart_title=_chart_title(report, w),
        notes_title=_("Method notes"),
        names=w.names,
    )


def _chart_title(report: WaveReport, w: _Writer) -> str:
    """What the chart shows, as its caption."""
    _ = w.gettext
    match report.instrument:
        case Instrument.SERVQUAL:
            return _("Gap P − E by dimension")
        case Instrument.ZONE:
            return _("Zone of tolerance and perception by dimension")
        case Instrument.KANO:
            return _("Better and |Worse| by feature")
    return _("Score and its 95% interval")


def _facts(report: WaveReport, w: _Writer) -> list[tuple[str, str]]:
    _, fmt, wave = w.gettext, w.fmt, report.wave
    return [
        (_("Survey"), report.survey_name),
        (_("Wave"), wave.name),
        (_("Opened"), fmt.datetime(wave.created_at)),
        (_("Closed"), fmt.datetime(wave.closed_at) if wave.closed_at else "—"),
        (_("Invited"), str(wave.invited)),
        (_("Completed"), str(wave.completed)),
        (_("Response rate (RR1)"), fmt.percent(wave.response_rate)),
        (_("Responses (kiosk included)"), str(wave.responses)),
        (_("Anonymous"), _("Yes") if report.anonymous else _("No")),
        (_("Printed"), fmt.datetime(report.made_at)),
    ]


def _headline(h: Headline, w: _Writer) -> tuple[str, str]:
    _, fmt = w.gettext, w.fmt
    match h.key:
        case "mean_gap":
            return _("Mean gap P − E of the five dimensions"), fmt.number(h.value)
        case "largest_shortfall":
            return _("Largest gap"), f"{w.name(h.subject)}: {fmt.number(h.value)}"
        case "lowest_adequacy":
            return _("Lowest adequacy (MSA)"), f"{w.name(h.subject)}: {fmt.number(h.value)}"
        case "below_adequate":
            return _("Dimensions below adequate service"), fmt.number(h.value, 0)
        case "features":
            return _("Features"), fmt.number(h.value, 0)
        case "significant_features":
            return _("Categories passing Fong's test"), fmt.number(h.value, 0)
    label = h.subject or ""
    interval = _("95% interval") + f" [{w.score(label, h.low)}, {w.score(label, h.high)}]"
    return label, f"{w.score(label, h.value)} · {interval}"


def _table(report: WaveReport, w: _Writer) -> tuple[list[str], list[list[Cell]]]:
    """The analysis's table: one row per dimension, feature or score."""
    _ = w.gettext
    if report.gaps:
        columns = [_("Dimension"), "E", "P", "P − E", "α (E)", "α (P)"]
        rows = [
            [
                Cell(w.name(g.dimension), g.dimension),
                *(w.number(v) for v in (g.expectation, g.perception, g.gap)),
                *(w.number(v) for v in (g.alpha_expectation, g.alpha_perception)),
            ]
            for g in report.gaps
        ]
        return columns, rows
    if report.zone:
        columns = [_("Dimension"), _("Adequate"), _("Desired"), _("Perception"), "MSA", "MSS"]
        rows = [
            [Cell(w.name(z.dimension), z.dimension)]
            + [w.number(v) for v in (z.adequate, z.desired, z.perception, z.msa, z.mss)]
            for z in report.zone
        ]
        return columns, rows
    if report.kano:
        columns = [_("Feature"), "n", _("Category"), "Better", "Worse", _("Significant")]
        rows = [
            [
                Cell(k.feature, k.feature),
                Cell(str(k.n), k.n),
                Cell(w.name(k.category), k.category),
                w.number(k.better),
                w.number(k.worse),
                Cell(_("Yes") if k.significant else _("No"), k.significant),
            ]
            for k in report.kano
        ]
        return columns, rows
    return _score_table(report, w)


def _score_table(report: WaveReport, w: _Writer) -> tuple[list[str], list[list[Cell]]]:
    _, s = w.gettext, report.score
    if s is None:
        return [], []
    columns = ["n", s.label, *(k for k, _v in s.details)]
    columns += [_("95% interval, low"), _("95% interval, high")]
    row = [Cell(str(report.n), report.n), Cell(w.score(s.label, s.value), s.value)]
    row += [w.number(v, 0 if isinstance(v, int) else 2) for _k, v in s.details]
    row += [Cell(w.score(s.label, s.low), s.low), Cell(w.score(s.label, s.high), s.high)]
    return columns, [row]


def _notes(report: WaveReport, w: _Writer, min_n: int) -> list[str]:
    """The method notes: what n counts, the formulas, the intervals, the threshold."""
    _ = w.gettext
    notes = [
        _("n = %(n)s responses analysed.") % {"n": report.n},
        _("Below %(m)s answers the report shows no figure, only 'not enough answers'.")
        % {"m": min_n},
    ]
    match report.instrument:
        case Instrument.SERVQUAL:
            notes += [
                _(
                    "SERVQUAL (Parasuraman, Zeithaml & Berry 1988): gap = perception − "
                    "expectation per item; a dimension's gap is the mean of its items' gaps, "
                    "below zero when service falls short of expectations."
                ),
                _(
                    "Cronbach's α per dimension, of its expectation items and of its perception "
                    "items, respondents who answered all of them: α = k/(k − 1) · (1 − Σσ²ᵢ/σ²ₜ) "
                    "(Cronbach 1951); 0.7 or more reads as consistent."
                ),
                _("The gaps are means without an interval."),
            ]
        case Instrument.ZONE:
            notes.append(
                _(
                    "Zone of tolerance (Parasuraman, Zeithaml & Berry 1994): MSA = perception − "
                    "adequate service, MSS = perception − desired service; perception lies "
                    "inside the zone when MSA ≥ 0 and MSS ≤ 0."
                )
            )
        case Instrument.KANO:
            notes.append(
                _(
                    "Kano (Berger et al. 1993): Better = (A + O)/(A + O + M + I), Worse = "
                    "−(O + M)/(A + O + M + I); n is the fewest answer pairs of any feature; "
                    "Fong's (1996) test tells whether the two most frequent categories differ."
                )
            )
        case Instrument.NPS:
            notes.append(_nps_note(w))
        case Instrument.CSAT:
            notes.append(
                _(
                    "CSAT = share of answers in the top two points of the scale; its 95%% "
                    "interval is the Wilson score interval with z = %(z)s."
                )
                % {"z": Z_95}
            )
        case Instrument.CES:
            notes.append(
                _(
                    "CES = mean answer; its 95% interval is mean ± t(0.975, n − 1) · sd/√n "
                    "(sd with n − 1)."
                )
            )
        case _:
            notes.append(_("This survey's template has no headline analysis."))
    if report.instrument in (Instrument.NPS, Instrument.CSAT, Instrument.CES):
        notes.append(_("Intervals are not clipped to the scale."))
    return notes


def _nps_note(w: _Writer) -> str:
    return w.gettext(
        "NPS = 100 · (promoters − detractors)/n, promoters 9–10, detractors 0–6; its 95%% "
        "interval is the adjusted Wald interval (Rocks 2016): n′ = n + 3, p′ = (promoters + "
        "0.75)/n′, d′ = (detractors + 0.75)/n′, 100 · ((p′ − d′) ± z · √((p′ + d′ − "
        "(p′ − d′)²)/n′)) with z = %(z)s."
    ) % {"z": Z_95}
