"""Benchmark: start-up of the ``touchpoint`` command, timed as whole processes.

Two commands, each a fresh process, with ``PYTHONDONTWRITEBYTECODE=1`` so that no run
leaves bytecode behind for the next: a run gets whatever bytecode the install wrote.

- ``touchpoint --help`` (Typer and the sub-apps);
- ``touchpoint analyze servqual utility_servqual.parquet --format json`` on the demo
  survey (800 respondents, written once by ``touchpoint demo-data`` into
  ``bench/out/startup/``, not timed), with the bench's own compiled-SQL cache so the
  user's is left alone.

Give ``--venv`` once per environment to compare, e.g. one synced without bytecode
(``uv sync --frozen --no-dev``) and one made by ``make setup-run`` (``uv sync
--compile-bytecode`` and ``compileall src``). The environments take turns, round by
round, so a change in the machine's load falls on all of them. The table gives each
one's median wall time over all its runs and its median CPU time (user + system of the
process and its children, which depends less on the machine's other work); the header
says how many ``.py`` files of its site-packages and of the ``touchpoint`` sources it
runs (an editable install: that clone's ``src/``) have a ``.pyc``, i.e. which state it
timed.

Usage::

    python bench/startup.py [--venv .venv ...] [--runs 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "startup"
SURVEY = OUT / "demo" / "utility_servqual.parquet"
COMMANDS = {
    "touchpoint --help": ["--help"],
    "touchpoint analyze servqual utility_servqual.parquet": [
        "analyze",
        "servqual",
        str(SURVEY),
        "--format",
        "json",
    ],
}


@dataclass
class Venv:
    path: Path
    times: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    @property
    def touchpoint(self) -> str:
        return str(self.path / "bin" / "touchpoint")

    def ask(self, code: str) -> str:
        python = str(self.path / "bin" / "python")
        result = subprocess.run(
            [python, "-c", code], env=child_env(), capture_output=True, text=True, check=True
        )
        return result.stdout.strip()


def compiled_share(tree: Path) -> tuple[int, int]:
    """(``.py`` files with a current-interpreter ``.pyc`` in ``__pycache__``, all ``.py``)."""
    tag = sys.implementation.cache_tag
    total = compiled = 0
    for source in tree.rglob("*.py"):
        total += 1
        if (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").exists():
            compiled += 1
    return compiled, total


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPYCACHEPREFIX", None)
    env["TOUCHPOINT_CACHE_DIR"] = str(OUT / "sql-cache")
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_runs(command: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of ``runs`` runs of ``command``, after one
    untimed warm-up run. CPU time depends less on what else the machine is doing."""
    env = child_env()
    wall, cpu = [], []
    for i in range(runs + 1):
        cpu_start = children_cpu()
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        elapsed = time.perf_counter() - start
        if i:
            wall.append(elapsed)
            cpu.append(children_cpu() - cpu_start)
    return wall, cpu


def git_commit(tree: Path) -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True
    )
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "."], cwd=tree).returncode
    return result.stdout.strip() + (", src modified" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up of the touchpoint command.")
    parser.add_argument("--venv", type=Path, action="append", help="repeatable; default .venv")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command and round")
    parser.add_argument("--rounds", type=int, default=3, help="turns each environment takes")
    args = parser.parse_args()
    if args.runs < 1 or args.rounds < 1:
        parser.error("--runs and --rounds must be at least 1")
    venvs = [Venv(path.resolve()) for path in (args.venv or [ROOT / ".venv"])]
    if not SURVEY.exists():
        subprocess.run(
            [venvs[0].touchpoint, "demo-data", str(SURVEY.parent)],
            env=child_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    print(f"Python {platform.python_version()}; {os.cpu_count()} CPUs; ", end="")
    print(f"load average {os.getloadavg()[0]:.2f} before; PYTHONDONTWRITEBYTECODE=1; ", end="")
    print(f"{args.rounds} rounds of {args.runs} runs (after one warm-up) per command\n")
    for venv in venvs:
        site = Path(venv.ask("import sysconfig; print(sysconfig.get_path('purelib'))"))
        package = Path(venv.ask("import touchpoint; print(touchpoint.__file__)")).parent
        site_pyc, site_py = compiled_share(site)
        src_pyc, src_py = compiled_share(package)
        print(f"- {venv.path} (commit {git_commit(package)}): .pyc for site-packages ", end="")
        print(f"{site_pyc:,} of {site_py:,} .py, {package} {src_pyc} of {src_py}")

    for _ in range(args.rounds):
        for venv in venvs:
            for label, arguments in COMMANDS.items():
                wall, cpu = time_runs([venv.touchpoint, *arguments], args.runs)
                venv.times.setdefault(label, []).extend(wall)
                venv.cpu.setdefault(label, []).extend(cpu)

    print(f"\nload average {os.getloadavg()[0]:.2f} after\n")
    print("| command | venv | wall median (s) | wall min–max (s) | CPU median (s) | runs |")
    print("|---|---|---:|---:|---:|---:|")
    for label in COMMANDS:
        for venv in venvs:
            times = venv.times[label]
            median = statistics.median(times)
            cpu_median = statistics.median(venv.cpu[label])
            print(
                f"| `{label}` | {venv.path} | {median:.3f} | "
                f"{min(times):.3f}–{max(times):.3f} | {cpu_median:.3f} | {len(times)} |"
            )


if __name__ == "__main__":
    main()
