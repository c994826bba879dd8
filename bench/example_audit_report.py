"""`make example-report`: an example audit report made from real checks.

Starts the real sidecar (with its own OPA and the policies in policies/), sends it every
scenario request in policies/scenarios a few times plus some malformed requests, stops it,
and writes `vir-sidecar audit report` over the trail it wrote to the given HTML file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc

from bench.request_mix import scenario_requests
from bench.system_under_test import BENCH_AUDIT_KEY, ROOT, start_sidecar
from sidecar.api import pb, pb_grpc
from sidecar.opa.command import find_binary

ROUNDS = 5


def send_all(address: str, requests: list[pb.CheckRequest]) -> None:
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.AuthorizationServiceStub(channel)
        for _ in range(ROUNDS):
            for request in [*requests, pb.CheckRequest()]:
                try:
                    stub.Check(request, timeout=10)
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
                        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="HTML file to write")
    args = parser.parse_args()
    opa = find_binary(None, {})
    with tempfile.TemporaryDirectory(prefix="vir-example-report-") as work_dir:
        work = Path(work_dir)
        sidecar = start_sidecar("sidecar", opa, work, fsync=False)
        try:
            send_all(sidecar.address, scenario_requests(ROOT / "policies"))
        finally:
            sidecar.stop()
        key_file = work / "audit.key"
        key_file.write_text(BENCH_AUDIT_KEY)
        # The trail is named by its role, not by this temporary path.
        trail = work / "replica-0"
        (work / "audit").rename(trail)
        status = subprocess.run(
            [sys.executable, "-m", "sidecar.cli", "audit", "report", "--key-file", str(key_file),
             "--policy-dir", str(ROOT / "policies"), "--by", "day", "--format", "html",
             "--out", str(args.out.resolve()), "replica-0"],
            cwd=work, check=False,
        ).returncode  # fmt: skip
    print(f"wrote {args.out} (report exit status {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())
