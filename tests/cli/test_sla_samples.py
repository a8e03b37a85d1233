"""The sample files of ``touchpoint demo-data`` run through every ``touchpoint sla``
command, and docs/sla-formats.md shows those same shapes (its outputs are real)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from touchpoint.cli.sla_samples import EVENT_COLUMNS, SAMPLE_CALENDAR, SAMPLE_POLICY

DOC = Path(__file__).resolve().parents[2] / "docs" / "sla-formats.md"
SLA_FILES = [
    "sla_calendar.json",
    "sla_policy.json",
    "sla_events.csv",
    "sla_events.parquet",
    "sla_case.json",
]
SURVEY_PARTS = ("servqual", "zone", "kano", "csi")


def touchpoint(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "touchpoint", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("demo") / "demo"
    done = touchpoint("demo-data", out, "--respondents", "20", "--seed", "11")
    assert done.returncode == 0, done.stderr
    return out, done.stdout.splitlines()


def test_demo_data_lists_the_sla_files_after_the_surveys(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    surveys = [
        f"{out / f'{industry}_{part}'}.{suffix}"
        for industry in ("utility", "hotel")
        for part in SURVEY_PARTS
        for suffix in ("csv", "parquet")
    ]
    assert set(surveys) <= set(lines)
    assert lines[-len(SLA_FILES) :] == [str(out / name) for name in SLA_FILES]
    assert json.loads((out / "sla_calendar.json").read_text(encoding="utf-8")) == SAMPLE_CALENDAR
    assert json.loads((out / "sla_policy.json").read_text(encoding="utf-8")) == SAMPLE_POLICY
    header = (out / "sla_events.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(EVENT_COLUMNS)


def test_csv_only_writes_no_parquet_events(tmp_path: Path) -> None:
    done = touchpoint("demo-data", tmp_path, "--respondents", "5", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sla_events.csv").is_file()
    assert not (tmp_path / "sla_events.parquet").exists()


def test_every_sla_command_runs_on_the_sample_files(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    calendar = out / "sla_calendar.json"
    add = touchpoint("sla", "add", calendar, "2026-09-29T16:30:00+08:00", "90")
    assert (add.returncode, add.stdout) == (0, "2026-09-30T01:00:00Z\n"), add.stderr
    between = touchpoint(
        "sla", "between", calendar, "2026-09-30T11:00:00+08:00", "2026-10-08T09:00:00+08:00"
    )
    assert json.loads(between.stdout) == {"seconds": 97200, "minutes": 1620}, between.stderr
    replay = touchpoint("sla", "replay", out / "sla_case.json")
    assert replay.returncode == 0, replay.stderr
    assert set(json.loads(replay.stdout)) >= {"status", "first_response", "resolution"}
    policy: list[str | Path] = ["--calendar", calendar, "--policy", out / "sla_policy.json"]
    results = []
    for events in ("sla_events.csv", "sla_events.parquet"):
        done = touchpoint("sla", "whatif", out / events, *policy, "--against", *policy[3:])
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout))
    assert results[0] == results[1]  # CSV with offsets and Parquet in UTC agree
    assert results[0]["orders"] == 40 and results[0]["against"] == results[0]["policy"]
    table = touchpoint("sla", "whatif", out / "sla_events.csv", *policy, "--format", "table")
    assert table.returncode == 0 and "first_response" in table.stdout


def _blocks(kind: str) -> dict[str, str]:
    """The fenced block after each ``<!-- kind: name -->`` marker of the doc."""
    pattern = rf"<!-- {kind}: (\w+) -->\s*```\w*\n(.*?)```"
    return dict(re.findall(pattern, DOC.read_text(encoding="utf-8"), flags=re.DOTALL))


def _event_keys(events: list[dict[str, Any]]) -> set[str]:
    return {key for event in events for key in event}


def test_the_docs_show_the_sample_shapes(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    examples = _blocks("example")
    assert set(examples) == {"calendar", "policy", "case", "events"}
    assert json.loads(examples["calendar"]) == SAMPLE_CALENDAR
    assert json.loads(examples["policy"]) == SAMPLE_POLICY
    case = json.loads(examples["case"])
    sample = json.loads((out / "sla_case.json").read_text(encoding="utf-8"))
    assert set(case) == set(sample) == {"calendar", "policy", "events"}
    assert (
        _event_keys(case["events"])
        == _event_keys(sample["events"])
        == {
            "at",
            "type",
            "status",
            "to",
        }
    )
    sample_header = (out / "sla_events.csv").read_text(encoding="utf-8").splitlines()[0]
    assert examples["events"].splitlines()[0] == sample_header


def test_the_docs_outputs_are_what_the_commands_print(tmp_path: Path) -> None:
    examples, outputs = _blocks("example"), _blocks("output")
    for name, text in examples.items():
        suffix = "csv" if name == "events" else "json"
        (tmp_path / f"{name}.{suffix}").write_text(text, encoding="utf-8")
    replay = touchpoint(
        "sla", "replay", "case.json", "--now", "2026-09-29T12:00:00+08:00", cwd=tmp_path
    )
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout) == json.loads(outputs["replay"])
    whatif = touchpoint(
        "sla",
        "whatif",
        "events.csv",
        "--calendar",
        "calendar.json",
        "--policy",
        "policy.json",
        cwd=tmp_path,
    )
    assert whatif.returncode == 0, whatif.stderr
    assert json.loads(whatif.stdout) == json.loads(outputs["whatif"])


def test_files_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    examples = _blocks("example")
    bom = "\ufeff"
    (tmp_path / "calendar.json").write_text(bom + examples["calendar"], encoding="utf-8")
    (tmp_path / "policy.json").write_text(examples["policy"], encoding="utf-8")
    (tmp_path / "events.csv").write_text(bom + examples["events"], encoding="utf-8")
    done = touchpoint(
        "sla",
        "whatif",
        "events.csv",
        "--calendar",
        "calendar.json",
        "--policy",
        "policy.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["orders"] == 2


@pytest.mark.parametrize("command", [[], ["add"], ["between"], ["replay"], ["whatif"]])
def test_help_points_to_the_formats(command: list[str]) -> None:
    done = touchpoint("sla", *command, "--help")
    assert done.returncode == 0, done.stderr
    assert "docs/sla-formats.md" in done.stdout
    # The description's paragraphs fill the width: the source's line breaks are not kept
    # (a kept break, wrapped again at 80 columns, left a word alone on a line).
    text = done.stdout.split("Usage:", 1)[1].split("╭", 1)[0]
    lines = [line.rstrip() for line in text.splitlines()[1:]]
    width = max(map(len, lines))
    paragraphs = "\n".join(lines).split("\n\n")
    short = [
        line
        for paragraph in paragraphs
        for line in paragraph.strip("\n").splitlines()[:-1]
        if len(line) < 0.7 * width
    ]
    assert short == [], done.stdout
