#!/usr/bin/env python3
"""Issue 14 campaign: ``kill -9`` of a build at seeded random points, then a clean build.

What a real ``kill -9``, an OOM kill or a CI runner's timeout does: SIGKILL to the
``sphinx-build`` process only. Its kernels are not signalled; they must notice that their
parent died (ipykernel polls it). One project of ``--notebooks`` tiny notebooks
(``campaign_project.py``); ``nb0`` also writes a ``--artefact-mb`` MB artefact, so that the
store's write of its record lasts long enough to be caught. A first, timed build gives the
phases' times (its output lines, timestamped). Then each kill edits one or two notebooks
(so that something executes), starts a build, and kills it during one of four phases (in a
seeded random order):

- ``planning``: a random time between the ``updating environment`` line and the
  ``nbcache: executing`` line of the timed build;
- ``execution``: a random time after the ``executing`` line, within the timed execution;
- ``store``: as soon as a record's temporary folder (``records/.tmp-*``) appears;
- ``rendering``: a random time after ``reading sources``, within the timed reading and
  writing.

Each kill is reported at the phase it really hit (the last phase line the build printed, or
``store`` when a temporary folder existed at the kill). After each kill the next build runs
on the same output folder and must be clean: exit 0, no error, traceback or crash report
(``sphinx-err-*.log``), no warning; no stale page (every page shows its notebook's current
value); ``nbcache status --check`` finds nothing to execute (after every ``--status-every``
th kill); no temporary file left in the
cache (``.tmp-*``, ``*.tmp``); no kernel of the killed build still running once the next
build ended. All processes share one private ``TMPDIR``: the ``nbcache-*`` folders and
connection files (``*.json``) left there are counted after each next build, and once more
at the end, after a build started more than a minute after the last kill (kernels' folders
of a dead process are swept once a minute old). Usage::

    python benchmarks/campaign_kill.py --kills 30 --seed 14
    python benchmarks/campaign_kill.py --kills 4 --keep /tmp/camp-kill
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from campaign_project import (
    EXEC_LOG_VAR,
    Output,
    build_command,
    executed,
    kernel_pids,
    kill_all,
    page_says,
    run,
    running,
    tool,
    wait_gone,
    write_notebook,
    write_project,
)

PHASES = ("planning", "execution", "store", "rendering")
#: the phase lines of a build's output, in order
MARKS = {
    "planning": re.compile(r"building \[html\]"),
    "execution": re.compile(r"nbcache: executing"),
    "rendering": re.compile(r"reading sources"),
    "done": re.compile(r"build succeeded|build finished"),
}
#: how long the kernels of a killed build may take to notice (ipykernel polls once a second)
KERNEL_GRACE = 10.0


class Build:
    """A ``sphinx-build`` started in its own session, its output lines timestamped."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a terminal's Ctrl-C would reach its group; we send none
        )
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic() - self.start, line.rstrip("\n")))

    def seen(self, mark: str) -> float | None:
        """When the build printed the line of ``mark`` (seconds after its start)."""
        for at, line in list(self.lines):
            if MARKS[mark].search(line):
                return at
        return None

    def phase(self) -> str:
        """The last phase whose line the build printed."""
        last = "startup"
        for mark in ("planning", "execution", "rendering", "done"):
            if self.seen(mark) is not None:
                last = mark
        return last

    def finish(self) -> Output:
        self.proc.wait()
        self.reader.join()
        text = "\n".join(line for _, line in self.lines)
        return Output.of("build", self.proc.returncode, text)


#: a step line of Sphinx's output: ``pickling environment... done``, ``writing output... [``
STEP = re.compile(r"([a-z][a-z -]*[a-z])(?:\.\.\.|:)")


@dataclass
class Trigger:
    """Kill this long (at most ``span`` seconds, at random) after a line matching ``line``."""

    phase: str
    line: re.Pattern[str]
    span: float


def triggers(lines: list[tuple[float, str]]) -> dict[str, list[Trigger]]:
    """The kill points of each phase, from the timestamped output of a full build.

    planning: from ``building [html]`` (before ``env-get-outdated``) to the ``executing``
    line; execution: from that line to the first notebook's result; rendering: each step of
    Sphinx from ``reading sources`` to the summary, for as long as the step took.
    """

    def first(pattern: str) -> float:
        return next(at for at, line in lines if re.search(pattern, line))

    building, executing = first(r"building \[html\]"), first("nbcache: executing")
    one_result = first(r"nbcache: \[1/")
    reading = first("reading sources")
    steps: list[tuple[float, str]] = []
    names: set[str] = set()
    for at, line in lines:
        match = STEP.match(line)
        if at < reading or not match or match.group(1) in names:
            continue
        names.add(match.group(1))
        # nbcache's own lines are taken for its summary, not for its earlier lines
        name = match.group(1)
        steps.append((at, r"nbcache: \d+ executed" if name == "nbcache" else f"^{re.escape(name)}"))
    end = lines[-1][0]
    rendering = [
        Trigger(
            "rendering",
            re.compile(name),
            (steps[i + 1][0] if i + 1 < len(steps) else end) - at,
        )
        for i, (at, name) in enumerate(steps)
    ]
    return {
        "planning": [Trigger("planning", re.compile(r"building \[html\]"), executing - building)],
        "execution": [
            Trigger("execution", re.compile("nbcache: executing"), one_result - executing)
        ],
        "rendering": rendering,
    }


@dataclass
class Kill:
    number: int
    aimed: str
    hit: str = ""
    at: float = 0.0
    when: float = 0.0
    edited: list[str] = field(default_factory=list)
    kernels_at_kill: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    leaked_kernels: int = 0
    tmp_in_cache: int = 0
    tmp_folders: int = 0
    connection_files: int = 0
    executed_killed: int = 0
    executed_next: int = 0
    seconds: float = 0.0
    #: the killed build left an empty ``.buildinfo`` (a Sphinx fault, not nbcache's)
    sphinx_buildinfo: bool = False


class Campaign:
    def __init__(
        self,
        work: Path,
        count: int,
        artefact_mb: int,
        sphinx_build: str,
        nbcache: str,
        status_every: int = 1,
    ):
        self.status_every = status_every
        self.work = work
        self.src = work / "src"
        self.out = work / "out"
        self.cache = self.src / ".nbcache"
        self.log = work / "executed.log"
        self.tmpdir = work / "tmp"
        self.tmpdir.mkdir(parents=True)
        self.artefact_mb = artefact_mb
        self.sphinx_build = sphinx_build
        self.nbcache = nbcache
        self.triggers: dict[str, list[Trigger]] = {}
        self.notebooks = write_project(self.src, count, "v0")
        self.values = dict.fromkeys(self.notebooks, "v0")
        self.edit("nb0", "v0")
        self.log.write_text("")

    def env(self, marker: str) -> dict[str, str]:
        return {
            **os.environ,
            EXEC_LOG_VAR: str(self.log),
            "TMPDIR": str(self.tmpdir),
            "PYTHONUNBUFFERED": "1",
            # inherited by the build's kernels: tells them from any other process's
            "CAMPAIGN_KILL_ID": marker,
        }

    def edit(self, name: str, value: str) -> None:
        self.values[name] = value
        write_notebook(self.src, name, value, artefact_mb=self.artefact_mb if name == "nb0" else 0)

    def start(self, marker: str) -> Build:
        return Build(build_command(self.sphinx_build, self.src, self.out), self.env(marker))

    def timed_build(self) -> list[tuple[float, str]]:
        """Build every notebook once; returns the build's timestamped output lines."""
        build = self.start("timed")
        output = build.finish()
        if output.errors:
            sys.exit("the timed build failed:\n" + output.text)
        executed(self.log)
        self.triggers = triggers(build.lines)
        return build.lines

    def temporary_in_cache(self) -> list[Path]:
        """Temporary folders and files in the cache (``.tmp-*``, ``*.tmp``), at any depth.

        Walked without failing on entries that vanish meanwhile (a build may be renaming its
        temporary folder into place while we look)."""
        found = []
        for folder, dirs, files in os.walk(self.cache, onerror=lambda _exc: None):
            for name in (*dirs, *files):
                if name.startswith(".tmp-") or name.endswith(".tmp"):
                    found.append(Path(folder, name))
        return found

    def left_in_tmpdir(self) -> tuple[list[Path], list[Path]]:
        """(``nbcache-*`` folders, connection files) in the private temporary folder."""
        folders = sorted(self.tmpdir.glob("nbcache-*"))
        files = sorted(self.tmpdir.rglob("*.json"))
        return folders, files

    def wait_for(self, build: Build, aimed: str, rng: random.Random, old: set[Path]) -> None:
        """Return at the moment to kill ``build`` for the phase ``aimed`` (``old``: temporary
        folders in the cache before the build started)."""
        if aimed == "store":
            records = self.cache / "records"
            old_names = {p.name for p in old}
            while build.proc.poll() is None:
                if records.is_dir() and any(
                    n.startswith(".tmp-") and n not in old_names for n in os.listdir(records)
                ):
                    return
                time.sleep(0.001)
            return
        trigger = rng.choice(self.triggers[aimed])
        while build.proc.poll() is None and not any(
            trigger.line.search(line) for _, line in list(build.lines)
        ):
            time.sleep(0.002)
        time.sleep(rng.uniform(0, max(trigger.span, 0.01)))

    def next_build(self, number: int) -> Output:
        cmd = build_command(self.sphinx_build, self.src, self.out)
        return run(cmd, self.env(f"next-{number}"))

    def one_kill(self, number: int, aimed: str, rng: random.Random) -> Kill:
        kill = Kill(number, aimed)
        started = time.monotonic()
        marker = f"kill-{number}"
        before_folders, before_files = self.left_in_tmpdir()
        before_tmp = set(self.temporary_in_cache())
        edited = rng.sample(self.notebooks[1:], 1)
        if aimed == "store" or rng.random() < 0.5:
            edited.append("nb0")  # the notebook whose record takes long to write
        for name in edited:
            self.edit(name, f"k{number}")
        kill.edited = edited
        build = self.start(marker)
        self.wait_for(build, aimed, rng, before_tmp)
        tmp_now = bool(set(self.temporary_in_cache()) - before_tmp)
        kill.when = time.monotonic()
        kill.at = kill.when - build.start
        if build.proc.poll() is None:
            os.kill(build.proc.pid, signal.SIGKILL)  # the build's pid only, as the OOM killer
            kill.hit = "store" if tmp_now else build.phase()
        else:
            kill.hit = "too late"
        build.finish()
        kill.executed_killed = len(executed(self.log))
        orphans = kernel_pids(marker)
        kill.kernels_at_kill = len(orphans)

        after = self.next_build(number)
        kill.problems += [f"next build: {e}" for e in after.errors]
        buildinfo = self.out / "html" / ".buildinfo"
        if after.errors and buildinfo.is_file() and buildinfo.stat().st_size == 0:
            # Sphinx's own fault (it writes the file in place, and 9.0 crashes on an empty
            # one, every build after): counted, then repaired so the next kills still test
            kill.sphinx_buildinfo = True
            buildinfo.unlink()
            for report in self.tmpdir.glob("sphinx-err-*"):
                report.unlink()
            after = self.next_build(number)
            kill.problems += [f"next build, .buildinfo removed: {e}" for e in after.errors]
        kill.executed_next = len(executed(self.log))
        kill.warnings = after.warnings
        alive = sorted(set(running(orphans) + kernel_pids(marker)))
        kill.leaked_kernels = len(alive)
        if alive:  # count them, then end them, lest they disturb the next kills
            late = wait_gone(alive, KERNEL_GRACE)
            kill.problems.append(
                f"kernels of the killed build running after the next build: {alive}, "
                f"{len(late)} of them still {KERNEL_GRACE:.0f} s later"
            )
            kill_all(late)
        for name, value in self.values.items():
            shown = page_says(self.out / "html", name)
            if shown != value:
                kill.problems.append(f"page {name} shows {shown}, its notebook prints {value}")
        status = None
        if self.status_every and number % self.status_every == 0:
            status = run(
                [self.nbcache, "status", "--check", str(self.src)], self.env(f"status-{number}")
            )
        if status is not None and status.returncode != 0:
            kill.problems.append("nbcache status --check: " + " | ".join(status.text.splitlines()))
        kill.tmp_in_cache = len(set(self.temporary_in_cache()) - before_tmp)
        crash = sorted(self.tmpdir.glob("sphinx-err-*"))
        if crash:
            kill.problems.append(f"crash report {crash[-1]}: {crash[-1].read_text()[-300:]}")
            for report in crash:
                report.unlink()
        folders, files = self.left_in_tmpdir()
        kill.tmp_folders = len(set(folders) - set(before_folders))
        kill.connection_files = len(set(files) - set(before_files))
        kill.seconds = time.monotonic() - started
        return kill


def show(kill: Kill) -> None:
    print(
        f"{kill.number:4d} {kill.aimed:>9} {kill.hit:>9} {kill.at:6.2f} "
        f"{','.join(kill.edited):>9} {kill.kernels_at_kill:7d} {kill.executed_killed:4d} "
        f"{kill.executed_next:4d} "
        f"{len(kill.problems):8d} {len(kill.warnings):8d} {kill.leaked_kernels:6d} "
        f"{kill.tmp_in_cache:9d} {kill.tmp_folders:7d} {kill.connection_files:5d} "
        f"{kill.seconds:5.0f}",
        flush=True,
    )
    for line in kill.problems + kill.warnings:
        print(f"      {line[:300]}")


def summary(kills: list[Kill]) -> None:
    print(
        "per phase hit: kills, bad next builds, warnings, leaked kernels, tmp in cache, "
        "nbcache-* folders left, connection files left"
    )
    for phase in (*PHASES, "startup", "done", "too late"):
        group = [k for k in kills if k.hit == phase]
        if not group:
            continue
        print(
            f"  {phase:>9}: {len(group):3d} kills, {sum(1 for k in group if k.problems):2d} bad, "
            f"{sum(len(k.warnings) for k in group):2d} warnings, "
            f"{sum(k.leaked_kernels for k in group):2d} leaked kernels, "
            f"{sum(k.tmp_in_cache for k in group):2d} tmp in cache, "
            f"{sum(k.tmp_folders for k in group):2d} folders, "
            f"{sum(k.connection_files for k in group):2d} connection files"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--notebooks", type=int, default=3)
    parser.add_argument("--artefact-mb", type=int, default=4)
    parser.add_argument("--sphinx-build", default=tool("sphinx-build"))
    parser.add_argument("--nbcache", default=tool("nbcache"))
    parser.add_argument(
        "--status-every",
        type=int,
        default=3,
        help="run `nbcache status --check` after every N-th kill's next build (0: never)",
    )
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it")
    parser.add_argument(
        "--no-final-sweep", action="store_true", help="skip the last build a minute later"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="nbcache-campaign-kill-"))
    campaign = Campaign(
        work.absolute(),
        args.notebooks,
        args.artefact_mb,
        args.sphinx_build,
        args.nbcache,
        args.status_every,
    )
    lines = campaign.timed_build()
    print(f"timed build: {lines[-1][0]:.1f} s; kill points:")
    for phase, points in campaign.triggers.items():
        for point in points:
            print(f"  {phase:>9}: up to {point.span:.2f} s after {point.line.pattern!r}")
    aims = [PHASES[n % len(PHASES)] for n in range(args.kills)]
    rng.shuffle(aims)
    print(
        "kill     aimed       hit     at    edited kernels runs next problems warnings leaked "
        "tmp-cache folders files  wall"
    )
    kills = []
    for number, aimed in enumerate(aims, 1):
        kills.append(campaign.one_kill(number, aimed, rng))
        show(kills[-1])
    summary(kills)
    bad = [k for k in kills if k.problems or k.warnings or k.leaked_kernels or k.tmp_in_cache]
    emptied = [k.number for k in kills if k.sphinx_buildinfo]
    print(f"kills after which Sphinx crashed on the empty .buildinfo it left: {emptied}")
    folders, files = campaign.left_in_tmpdir()
    print(
        f"total: {len(kills)} kills, {len(bad)} followed by an unclean state; left in TMPDIR "
        f"after the last next build: {len(folders)} nbcache-* folders, {len(files)} "
        f"connection files; temporary files in the cache: {len(campaign.temporary_in_cache())}"
    )
    if not args.no_final_sweep:
        time.sleep(max(0.0, 61 - (time.monotonic() - kills[-1].when)))
        last = run(
            build_command(args.sphinx_build, campaign.src, campaign.out), campaign.env("last")
        )
        folders, files = campaign.left_in_tmpdir()
        print(
            f"a build a minute later ({'clean' if not last.errors else last.errors}): "
            f"{len(folders)} nbcache-* folders, {len(files)} connection files left; "
            f"temporary files in the cache: {len(campaign.temporary_in_cache())}"
        )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
