"""The sidecar's own OPA on a built bundle: a signed one is served, a tampered one never is,
and a new policy is taken up without a restart, with no check failed or dropped.

A reload starts a second OPA on the new bundle; checks move to it in one step once it
answers, so each answer names the revision that decided it, old until the switch and new
after it, and the audit trail says the same.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import grpc
import pytest

from integration_tests.processes import (
    Sidecar,
    audit_records,
    built_bundle,
    default_settings,
    example_request,
    opa_binary,
    policy_copy,
    policy_revision,
    wait_until,
)
from integration_tests.test_bundle_signing import KeyPair, key_pair, member, rewrite
from integration_tests.test_startup_errors import serve
from sidecar.opa.bundle import Bundle, build

RELOAD_SECONDS = 30
# The checks in flight across a reload must all be answered; on a machine this busy the
# default 0.25 s for OPA's answer would fail checks that have nothing to do with it.
PATIENT = ("--opa-timeout", "5")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return key_pair(tmp_path_factory.mktemp("keys"), "signing")


def signed_bundle(policies: Path, output: Path, keys: KeyPair) -> Bundle:
    return build(policies, output, opa_binary=opa_binary(), signing_key=keys.private)


def served(rules: Bundle) -> str:
    """The revision decisions name when `rules` is served with the shipped settings."""
    return f"rules@{rules.revision}+settings@{default_settings().revision}"


def verifying(bundle: Path, keys: KeyPair) -> list[str]:
    return ["--policy-bundle", str(bundle), "--bundle-verification-key", str(keys.public)]


def test_a_signed_bundle_is_served_and_its_revision_reported(tmp_path: Path, keys: KeyPair) -> None:
    bundle = signed_bundle(policy_copy(tmp_path), tmp_path / "vir-policy.tar.gz", keys)
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=verifying(bundle.path, keys)).start()
    try:
        response = sidecar.check(example_request())
    finally:
        sidecar.stop()
    assert response.allow is True
    assert bundle.revision == built_bundle().revision
    assert response.policy_revision == policy_revision()


@pytest.mark.parametrize("how", ["altered rule", "unsigned"])
def test_a_tampered_or_unsigned_bundle_stops_the_sidecar_at_start(
    tmp_path: Path, keys: KeyPair, how: str
) -> None:
    policies = policy_copy(tmp_path)
    if how == "unsigned":
        bundle = build(policies, tmp_path / "unsigned.tar.gz", opa_binary=opa_binary()).path
    else:
        signed = signed_bundle(policies, tmp_path / "signed.tar.gz", keys).path
        name = "vir/authz/decision.rego"
        bundle = rewrite(
            signed,
            tmp_path / "tampered.tar.gz",
            {name: member(signed, name) + b"\ndefault_allow_for_everyone := true\n"},
        )
    result = serve(tmp_path, *verifying(bundle, keys))
    assert result.returncode == 1
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events if e["event"] in {"serving", "startup_failed"}] == [
        "startup_failed"
    ]
    assert not any(e.get("serving") is True for e in events)
    refusal = "digest mismatch" if how == "altered rule" else "bundle missing .signatures.json"
    assert refusal in result.stdout + result.stderr  # OPA writes to the inherited stdout


class CheckStream:
    """A thread sending checks back to back, keeping every answer and every error."""

    def __init__(self, sidecar: Sidecar) -> None:
        self._sidecar = sidecar
        self.answers: list[tuple[str, str]] = []  # (decision id, revision), in order
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CheckStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response = self._sidecar.check(example_request(), timeout=5)
            except grpc.RpcError as error:
                self.errors.append(f"{error.code()}: {error.details()}")
                continue
            self.answers.append((response.decision_id, response.policy_revision))

    def revisions(self) -> list[str]:
        return [revision for _, revision in self.answers]

    def wait_for(self, revision: str) -> None:
        wait_until(lambda: revision in self.revisions(), RELOAD_SECONDS, f"revision {revision}")
        count = len(self.answers)
        wait_until(lambda: len(self.answers) > count + 20, RELOAD_SECONDS, "checks after it")


def assert_clean_switch(stream: CheckStream, old: str, new: str, audit_dir: Path) -> None:
    revisions = stream.revisions()
    assert stream.errors == []
    assert set(revisions) == {old, new}
    switch = revisions.index(new)
    assert revisions[:switch] == [old] * switch
    assert revisions[switch:] == [new] * (len(revisions) - switch)
    decided = {r["decision_id"]: r["policy_revision"] for r in audit_records(audit_dir)}
    assert {decision_id: decided[decision_id] for decision_id, _ in stream.answers} == dict(
        stream.answers
    )


def test_changed_policy_sources_are_taken_up_under_a_stream_of_checks(tmp_path: Path) -> None:
    policies = policy_copy(tmp_path)
    sidecar = Sidecar(tmp_path / "sidecar", policy_dir=policies, extra_args=PATIENT).start()
    try:
        old = sidecar.check(example_request()).policy_revision
        first_opa = sidecar.opa_pid()
        with CheckStream(sidecar) as stream:
            wait_until(lambda: len(stream.answers) > 20, RELOAD_SECONDS, "checks before")
            policy = policies / "vir" / "authz" / "decision.rego"
            policy.write_text(policy.read_text(encoding="utf-8") + "\n# revised\n")
            rules = build(policies, tmp_path / "expected.tar.gz", opa_binary=opa_binary())
            new = served(rules)
            assert new != old
            stream.wait_for(new)
        assert sidecar.serving()
        wait_until(lambda: sidecar.opa_replaced(first_opa), 10, "the old OPA stopped")
        assert sidecar.metric("vir_build_info", policy_revision=new) == 1
    finally:
        sidecar.stop()
    assert_clean_switch(stream, old, new, sidecar.audit_dir)


def test_a_replaced_bundle_file_is_taken_up_and_a_tampered_one_is_not(
    tmp_path: Path, keys: KeyPair
) -> None:
    policies = policy_copy(tmp_path)
    live = tmp_path / "live.tar.gz"
    old = served(signed_bundle(policies, live, keys))
    args = [*verifying(live, keys), *PATIENT]
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=args).start()
    try:
        with CheckStream(sidecar) as stream:
            wait_until(lambda: len(stream.answers) > 20, RELOAD_SECONDS, "checks before")
            # A tampered replacement is refused by the new OPA; the running one carries on.
            name = "vir/authz/decision.rego"
            rewrite(
                live,
                tmp_path / "tampered.tar.gz",
                {name: member(live, name) + b"\n# tampered\n"},
            ).replace(live)
            wait_until(
                lambda: any(
                    line.get("event") == "opa_reload_failed" for line in sidecar.log_lines()
                ),
                RELOAD_SECONDS,
                "the tampered bundle refused",
            )
            count = len(stream.answers)
            wait_until(lambda: len(stream.answers) > count + 20, RELOAD_SECONDS, "checks after")
            assert set(stream.revisions()) == {old}
            policy = policies / "vir" / "authz" / "decision.rego"
            policy.write_text(policy.read_text(encoding="utf-8") + "\n# revised\n")
            new = served(signed_bundle(policies, live, keys))  # replaced atomically
            stream.wait_for(new)
    finally:
        sidecar.stop()
    assert_clean_switch(stream, old, new, sidecar.audit_dir)


def refused(sidecar: Sidecar) -> bool:
    return any(line.get("event") == "opa_reload_failed" for line in sidecar.log_lines())


def test_sighup_reloads_the_policy_without_failing_a_check(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=PATIENT).start()
    try:
        first_opa = sidecar.opa_pid()
        with CheckStream(sidecar) as stream:
            wait_until(lambda: len(stream.answers) > 20, RELOAD_SECONDS, "checks before")
            sidecar.signal(signal.SIGHUP)
            wait_until(lambda: sidecar.opa_replaced(first_opa), RELOAD_SECONDS, "a new OPA")
            count = len(stream.answers)
            wait_until(lambda: len(stream.answers) > count + 20, RELOAD_SECONDS, "checks after")
        assert sidecar.serving()
    finally:
        sidecar.stop()
    assert stream.errors == []
    assert set(stream.revisions()) == {policy_revision()}
