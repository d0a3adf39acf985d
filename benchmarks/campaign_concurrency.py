#!/usr/bin/env python3
"""Issue 14 campaign: two ``sphinx-build -j 4`` and one ``nbcache execute`` on one cache.

One fresh project of ``--notebooks`` tiny notebooks (``campaign_project.py``) and its cache
(``.nbcache`` beside ``conf.py``, which ``nbcache -p`` names for the command line). Its
notebooks are staged once (``nbcache stage add``). Each round changes every notebook's
printed value (so every notebook is stale), then starts two builds (each with its own
output and doctree folders) and ``nbcache execute`` together, and checks:

- no error or traceback in any process's output, and every exit code 0 (warnings are
  counted and listed);
- each notebook executed exactly once in the round, as the kernels count (each kernel also
  writes its parent's pid, so the table says which process ran it);
- every page complete: its current value in both builds' HTML.

Before the rounds, a key check: ``nbcache execute`` alone, then one build alone; the build
must execute nothing (a record written by the command line is a cache hit for the build).
Usage (``--sphinx-build`` and ``--nbcache`` default to the ones next to this Python)::

    python benchmarks/campaign_concurrency.py --rounds 20
    python benchmarks/campaign_concurrency.py --rounds 3 --notebooks 6 --keep /tmp/camp
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from campaign_project import (
    EXEC_LOG_VAR,
    Output,
    build_command,
    executed,
    page_says,
    run,
    tool,
    write_notebook,
    write_project,
)


@dataclass
class Round:
    """What one round saw."""

    number: int
    seconds: float = 0.0
    outputs: list[Output] = field(default_factory=list)
    #: notebook -> labels of the processes that executed it (one per execution)
    runs: dict[str, list[str]] = field(default_factory=dict)
    #: (build label, notebook) of pages without the round's value
    incomplete: list[tuple[str, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{o.label}: {e}" for o in self.outputs for e in o.errors]

    @property
    def warnings(self) -> list[str]:
        return [f"{o.label}: {w}" for o in self.outputs for w in o.warnings]

    def not_once(self, notebooks: list[str]) -> dict[str, int]:
        return {n: len(self.runs.get(n, [])) for n in notebooks if len(self.runs.get(n, [])) != 1}


class Campaign:
    def __init__(
        self, work: Path, count: int, sleep: float, sphinx_build: str, nbcache: str
    ) -> None:
        self.work = work
        self.src = work / "src"
        self.cache = self.src / ".nbcache"
        self.log = work / "executed.log"
        self.sphinx_build = sphinx_build
        self.nbcache = nbcache
        tmpdir = work / "tmp"  # private: kernels' folders and connection files are ours only
        tmpdir.mkdir(parents=True)
        self.env = {
            **os.environ,
            EXEC_LOG_VAR: str(self.log),
            "TMPDIR": str(tmpdir),
            "PYTHONUNBUFFERED": "1",
        }
        self.sleep = sleep
        self.notebooks = write_project(self.src, count, "v0", sleep)
        self.log.write_text("")

    def nbcache_cmd(self, *args: str) -> list[str]:
        return [self.nbcache, "-p", str(self.cache), *args]

    def build_cmd(self, label: str) -> list[str]:
        return build_command(self.sphinx_build, self.src, self.work / label, "-j", "4")

    def stage(self) -> Output:
        files = [str(self.src / f"{n}.ipynb") for n in self.notebooks]
        return run(self.nbcache_cmd("stage", "add", *files), self.env)

    def set_value(self, value: str) -> None:
        for name in self.notebooks:
            write_notebook(self.src, name, value, self.sleep)

    def key_check(self) -> tuple[int, int, list[str]]:
        """(notebooks ``nbcache execute`` ran, notebooks the build then ran, problems)."""
        self.set_value("key")
        outputs = [run(self.nbcache_cmd("execute"), self.env)]
        by_execute = len(executed(self.log))
        outputs.append(run(self.build_cmd("keycheck"), self.env))
        by_build = len(executed(self.log))
        problems = [f"{o.label}: {e}" for o in outputs for e in o.errors]
        return by_execute, by_build, problems

    def one_round(self, number: int) -> Round:
        value = f"r{number}"
        self.set_value(value)
        result = Round(number)
        labels = ["build1", "build2"]
        for label in labels:
            shutil.rmtree(self.work / label, ignore_errors=True)
        commands = {label: self.build_cmd(label) for label in labels}
        commands["execute"] = self.nbcache_cmd("execute")
        start = time.perf_counter()
        procs = {
            label: subprocess.Popen(
                cmd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for label, cmd in commands.items()
        }
        pids = {proc.pid: label for label, proc in procs.items()}
        for label, proc in procs.items():
            out, _ = proc.communicate()
            result.outputs.append(Output.of(label, proc.returncode, out))
        result.seconds = time.perf_counter() - start
        for name, parents in executed(self.log):
            owner = next((pids[pid] for pid in parents if pid in pids), f"pid {parents}")
            result.runs.setdefault(name, []).append(owner)
        for label in labels:
            for name in self.notebooks:
                if page_says(self.work / label / "html", name) != value:
                    result.incomplete.append((label, name))
        return result


def show(result: Round, notebooks: list[str]) -> None:
    twice = result.not_once(notebooks)
    by = Counter(label for labels in result.runs.values() for label in labels)
    ran = " ".join(f"{label}={by[label]}" for label in ("build1", "build2", "execute"))
    print(
        f"{result.number:5d} {result.seconds:6.1f} {len(result.errors):6d} "
        f"{len(result.warnings):8d} {len(twice):9d} {len(result.incomplete):10d}   {ran}",
        flush=True,
    )
    for name, count in twice.items():
        print(f"      {name} executed {count} times: by {', '.join(result.runs.get(name, []))}")
    for line in result.errors + result.warnings:
        print(f"      {line[:200]}")
    for label, name in result.incomplete:
        print(f"      {label}: page {name} lacks the round's output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--notebooks", type=int, default=6)
    parser.add_argument(
        "--sleep",
        type=float,
        default=1.0,
        help="seconds each notebook sleeps, so that the three processes' runs overlap",
    )
    parser.add_argument("--sphinx-build", default=tool("sphinx-build"))
    parser.add_argument("--nbcache", default=tool("nbcache"))
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="nbcache-campaign-concurrency-"))
    campaign = Campaign(
        work.absolute(), args.notebooks, args.sleep, args.sphinx_build, args.nbcache
    )
    staged = campaign.stage()
    if staged.errors:
        sys.exit(f"nbcache stage add failed: {staged.errors}\n{staged.text}")
    by_execute, by_build, problems = campaign.key_check()
    verdict = "a cache hit" if by_build == 0 and by_execute else "NOT a cache hit"
    print(
        f"key check: nbcache execute ran {by_execute}, the build after it ran {by_build}: "
        f"a notebook executed by nbcache execute is {verdict} for the build"
    )
    for line in problems:
        print(f"  {line[:200]}")
    print("round   wall errors warnings not-once incomplete   executed by")
    rounds = []
    for number in range(1, args.rounds + 1):
        rounds.append(campaign.one_round(number))
        show(rounds[-1], campaign.notebooks)
    bad = [r for r in rounds if r.errors or r.not_once(campaign.notebooks) or r.incomplete]
    extra = sum(
        count - 1 for r in rounds for count in r.not_once(campaign.notebooks).values() if count
    )
    never = sum(1 for r in rounds for count in r.not_once(campaign.notebooks).values() if not count)
    print(
        f"total: {len(rounds)} rounds x {len(campaign.notebooks)} notebooks, "
        f"{len(bad)} bad rounds; errors={sum(len(r.errors) for r in rounds)} "
        f"warnings={sum(len(r.warnings) for r in rounds)} "
        f"extra executions={extra} never executed={never} "
        f"incomplete pages={sum(len(r.incomplete) for r in rounds)}; "
        f"{sum(r.seconds for r in rounds):.0f} s"
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
