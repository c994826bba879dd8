"""`make bench-report`: a year of one busy force's audit trails, verified and reported.

Writes about a million records across several trails (one per replica) with the sidecar's
own record builder and sealing code, then times `vir-sidecar audit verify` on each trail and
`vir-sidecar audit report` over all of them, and prints seconds, peak memory and whether the
report met its goal (under 60 s on this machine, issue 14).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.protobuf import json_format

from sidecar.api import pb
from sidecar.audit import GENESIS_MAC, Pseudonymiser, build_record
from sidecar.audit.chain import seal
from sidecar.audit.files import audit_file_name
from sidecar.audit.writer import DEFAULT_MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 60.0
KEY = bytes(range(32))
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
CALLERS = [f"records-system-{n}" for n in range(8)]
DENY_CODES = [
    "clearance_missing",
    "clearance_rank_too_low",
    "victim_notice_missing",
    "probative_value_not_stated",
    "presumption_not_rebutted",
    "whole_file_requested",
]
RANKS = ["chief_inspector", "superintendent", "chief_superintendent", "inspector"]
NOTICE = [("given", None), ("deferred", None), ("withheld", "risk_of_serious_harm")]


def record_pool(size: int, rng: random.Random) -> list[dict[str, object]]:
    """Distinct records as the sidecar builds them; the trail repeats them with new ids."""
    text = (ROOT / "examples" / "counselling-allowed.json").read_text(encoding="utf-8")
    request = json_format.Parse(text, pb.CheckRequest())
    pseudonymiser = Pseudonymiser(KEY)
    pool = []
    for number in range(size):
        request.record.victim_id = f"V-{number}"
        roll = rng.random()
        outcome = (
            "allow"
            if roll < 0.7
            else "deny"
            if roll < 0.9
            else "invalid"
            if roll < 0.95
            else "error"
        )
        notice, ground = rng.choice(NOTICE)
        facts = {
            "requester_org": rng.choice(["thames_valley", "kent", "btp"]),
            "authoriser_rank": rng.choice(RANKS),
            "notice_status": notice,
            "withholding_ground": ground,
            "counselling": rng.random() < 0.6,
        }
        fields = build_record(
            decision_id="",
            request=request,
            outcome=outcome,
            codes=rng.sample(DENY_CODES, rng.randint(1, 3)) if outcome == "deny" else [],
            caller=rng.choice(CALLERS),
            policy_revision="sha256:" + ("a" * 64 if number % 2 else "b" * 64),
            time=YEAR_START,
            pseudonymiser=pseudonymiser,
            error="opa_timeout" if outcome == "error" else None,
            facts=None if outcome in ("invalid", "error") else facts,
        )
        if number % 5 == 0:  # a fifth written before the record format had facts
            for name in ("format", *facts):
                del fields[name]
        pool.append(fields)
    return pool


def write_trail(directory: Path, count: int, pool: list[dict[str, object]], seed: int) -> int:
    """Seal `count` records into audit files of the sidecar's default size; returns bytes."""
    directory.mkdir(parents=True)
    rng = random.Random(seed)
    step = timedelta(days=365) / count
    prev_mac, written, number, size = GENESIS_MAC, 0, 1, 0
    out = (directory / audit_file_name(number)).open("wb")
    try:
        for seq, when in enumerate(_times(count, step), start=1):
            fields = dict(rng.choice(pool), decision_id=str(uuid.UUID(int=rng.getrandbits(128))))
            fields["time"] = when
            line, prev_mac = seal(KEY, fields, seq, prev_mac)
            if size + len(line) > DEFAULT_MAX_FILE_BYTES:
                out.close()
                number, size = number + 1, 0
                out = (directory / audit_file_name(number)).open("wb")
            out.write(line)
            size += len(line)
            written += len(line)
    finally:
        out.close()
    return written


def _times(count: int, step: timedelta) -> Iterator[str]:
    for index in range(count):
        yield (YEAR_START + step * index).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def timed(command: list[str]) -> tuple[float, int, int]:
    """Seconds, exit status and peak RSS (KiB) of one child process."""
    started = time.perf_counter()
    status = subprocess.run(command, check=False, stdout=subprocess.DEVNULL).returncode
    seconds = time.perf_counter() - started
    # ru_maxrss of children is the largest child so far; each run here uses a fresh process.
    return seconds, status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--trails", type=int, default=4)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "sidecar.cli"]
    with tempfile.TemporaryDirectory(prefix="vir-report-bench-") as work_dir:
        work = Path(work_dir)
        key_file = work / "audit.key"
        key_file.write_text(KEY.hex())
        rng = random.Random(14)
        pool = record_pool(500, rng)
        started = time.perf_counter()
        trails = [work / f"replica-{n}" for n in range(args.trails)]
        total_bytes = sum(
            write_trail(trail, args.records // args.trails, pool, seed=n)
            for n, trail in enumerate(trails)
        )
        print(
            f"wrote {args.records // args.trails * args.trails} records in {args.trails} trails, "
            f"{total_bytes / 2**20:.0f} MiB, in {time.perf_counter() - started:.1f} s"
        )
        verify_seconds = 0.0
        for trail in trails:
            seconds, status, _ = timed(
                [*cli, "audit", "verify", "--key-file", str(key_file), str(trail)]
            )
            verify_seconds += seconds
            if status != 0:
                print(f"verify failed on {trail}")
                return 1
        print(f"audit verify, every trail one after another: {verify_seconds:.1f} s")
        results = {}
        for output_format in ("html", "json"):
            seconds, status, peak_kib = timed(
                [
                    *cli,
                    "audit",
                    "report",
                    "--key-file",
                    str(key_file),
                    "--policy-dir",
                    str(ROOT / "policies"),
                    "--format",
                    output_format,
                    "--out",
                    str(work / f"report.{output_format}"),
                    *map(str, trails),
                ]
            )
            if status != 0:
                print(f"report failed (exit {status})")
                return 1
            results[output_format] = seconds
            print(
                f"audit report --format {output_format} (verify + count + write): {seconds:.1f} s, "
                f"peak RSS so far {peak_kib / 1024:.0f} MiB"
            )
    worst = max(results.values())
    verdict = "met" if worst < GOAL_SECONDS else "NOT met"
    print(
        f"goal: a year of ~{args.records} records reported in under {GOAL_SECONDS:.0f} s: "
        f"{verdict} ({worst:.1f} s; {os.cpu_count()} CPUs, shared)"
    )
    return 0 if worst < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
