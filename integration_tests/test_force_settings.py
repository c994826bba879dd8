"""A force's own settings, over the shipped defaults: real sidecars and OPAs over gRPC.

The force's file names its calling systems, one organisation alias and one raised threshold
(counselling clearance from a superintendent). A request the defaults allow is then denied,
and one they deny is allowed; settings with a bad entry never serve, at start or on reload;
and an edited file changes the next decision and the revision it names.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from integration_tests.pki import CertificateAuthority, Issued
from integration_tests.processes import (
    OpaServer,
    Sidecar,
    audit_records,
    built_bundle,
    default_settings,
    example_document,
    example_request,
    policy_revision,
    wait_until,
)
from integration_tests.test_startup_errors import serve
from sidecar.api import pb, pb_grpc
from sidecar.opa import settings

RECORDS_SYSTEM = "spiffe://greater-manchester.police.uk/records-system"
FORCE_SETTINGS = f"""\
# Greater Manchester Police's settings, over the shipped defaults.
allowed_callers:
  - {RECORDS_SYSTEM}
organisation_aliases:
  gmp: greater_manchester
categories:
  RECORD_CATEGORY_COUNSELLING:
    minimum_clearance_rank: superintendent
"""
BAD_ALIAS = 'organisation_aliases["gmp"] names unknown organisation "greater_manchster"'
RELOAD_SECONDS = 30


def settings_revision(text: str, directory: Path) -> str:
    """The revision the sidecar gives settings `text` over the shipped defaults."""
    path = directory / "expected.yaml"
    path.write_text(text, encoding="utf-8")
    merged = settings.merge(
        settings.defaults_of_bundle(built_bundle().path), settings.load_file(path)
    )
    return settings.revision_of(settings.canonical_json(merged))


def gmp_request(clearance_rank: str = "detective_chief_inspector") -> pb.CheckRequest:
    """The allowed example, made by a Greater Manchester Police officer who writes the force as
    "GMP": no name the shipped defaults know."""
    document: dict[str, Any] = example_document()
    document["requester"]["force"] = "GMP"
    document["clearance"]["authoriser_rank"] = clearance_rank
    return json_format.ParseDict(document, pb.CheckRequest())


def reason_codes(response: pb.CheckResponse) -> list[str]:
    return sorted(f.code for f in response.reasons)


@pytest.fixture
def pki(tmp_path: Path) -> tuple[CertificateAuthority, Issued, Issued, Issued]:
    ca = CertificateAuthority(tmp_path / "pki")
    server = ca.issue("server", common_name="vir-sidecar", server=True)
    allowed = ca.issue("records", common_name="records-system", uri=RECORDS_SYSTEM)
    other = ca.issue("other", common_name="analytics-batch-job")
    return ca, server, allowed, other


def credentials(ca: CertificateAuthority, client: Issued) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=ca.cert.read_bytes(),
        private_key=client.key.read_bytes(),
        certificate_chain=client.cert.read_bytes(),
    )


@pytest.fixture
def sidecars(
    tmp_path: Path, pki: tuple[CertificateAuthority, Issued, Issued, Issued]
) -> Iterator[tuple[Sidecar, Sidecar]]:
    """Two mTLS sidecars: one on the shipped defaults, one on the force's settings."""
    ca, server, allowed, _ = pki
    tls = ["--tls-cert", str(server.cert), "--tls-key", str(server.key)]
    tls += ["--tls-client-ca", str(ca.cert)]
    force = tmp_path / "force.yaml"
    force.write_text(FORCE_SETTINGS, encoding="utf-8")
    shipped = Sidecar(tmp_path / "shipped", extra_args=tls, credentials=credentials(ca, allowed))
    forced = Sidecar(
        tmp_path / "force",
        extra_args=[*tls, "--policy-settings", str(force)],
        credentials=credentials(ca, allowed),
    )
    try:
        yield shipped.start(), forced.start()
    finally:
        shipped.stop()
        forced.stop()


def test_a_forces_settings_change_the_live_decisions(
    sidecars: tuple[Sidecar, Sidecar],
    pki: tuple[CertificateAuthority, Issued, Issued, Issued],
    tmp_path: Path,
) -> None:
    shipped, forced = sidecars
    # Cleared by a detective chief inspector: enough by default, not for this force.
    by_default = shipped.check(example_request())
    assert by_default.allow is True
    assert by_default.policy_revision == policy_revision()
    raised = forced.check(example_request())
    assert raised.allow is False
    assert reason_codes(raised) == ["clearance_rank_too_low"]
    # "GMP" is no organisation by default; this force's alias makes it Greater Manchester Police.
    unknown = shipped.check(gmp_request("superintendent"))
    assert unknown.allow is False
    assert reason_codes(unknown) == ["requester_not_authorised"]
    aliased = forced.check(gmp_request("superintendent"))
    assert aliased.allow is True
    revision = policy_revision(settings_revision(FORCE_SETTINGS, tmp_path))
    assert aliased.policy_revision == revision
    # A calling system the force does not list is refused; by default any caller may ask.
    ca, _, _, other = pki
    channel = forced.open_channel(credentials(ca, other))
    try:
        stranger = pb_grpc.AuthorizationServiceStub(channel).Check(
            gmp_request("superintendent"), timeout=5
        )
    finally:
        channel.close()
    assert stranger.allow is False
    assert reason_codes(stranger) == ["caller_not_allowed"]
    records = audit_records(forced.audit_dir)
    assert [r["policy_revision"] for r in records] == [revision] * 3
    assert [r["caller"] for r in records] == [RECORDS_SYSTEM, RECORDS_SYSTEM, "analytics-batch-job"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("organisation_aliases:\n  gmp: greater_manchster\n", BAD_ALIAS),
        ("maximum_clearance_dayz: 30\n", '"maximum_clearance_dayz" is not a known setting'),
        (
            "categories:\n  RECORD_CATEGORY_COUNSELLING:\n    minimum_clearance_rank: inspector\n",
            "is below chief_inspector",
        ),
    ],
)
def test_settings_with_a_bad_entry_refuse_the_start_naming_it(
    tmp_path: Path, text: str, named: str
) -> None:
    force = tmp_path / "force.yaml"
    force.write_text(text, encoding="utf-8")
    result = serve(tmp_path, "--policy-settings", str(force))
    assert result.returncode == 1
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events if e["event"] in {"serving", "startup_failed"}] == [
        "startup_failed"
    ]
    (failure,) = [e for e in events if e["event"] == "startup_failed"]
    assert named in str(failure["error"])
    assert not any(e.get("serving") is True for e in events)


def test_a_settings_file_that_is_not_a_mapping_refuses_the_start(tmp_path: Path) -> None:
    force = tmp_path / "force.yaml"
    force.write_text("- allowed_callers\n", encoding="utf-8")
    result = serve(tmp_path, "--policy-settings", str(force))
    assert result.returncode == 1
    assert "settings must be a mapping of setting names to values" in result.stdout


def test_an_edited_settings_file_changes_the_next_decision_and_its_revision(
    tmp_path: Path,
) -> None:
    force = tmp_path / "force.yaml"
    force.write_text("organisation_aliases: {}\n", encoding="utf-8")
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=["--policy-settings", str(force)]).start()
    try:
        before = sidecar.check(gmp_request())
        assert before.allow is False
        assert reason_codes(before) == ["requester_not_authorised"]
        # Merging nothing over the defaults leaves them as they are, revision and all.
        assert before.policy_revision == policy_revision()

        edited = "organisation_aliases:\n  gmp: greater_manchester\n"
        staged = tmp_path / "force.yaml.new"
        staged.write_text(edited, encoding="utf-8")
        staged.replace(force)
        wait_until(lambda: sidecar.check(gmp_request()).allow, RELOAD_SECONDS, "the alias")
        after = sidecar.check(gmp_request())
        assert after.policy_revision == policy_revision(settings_revision(edited, tmp_path))
        assert after.policy_revision != before.policy_revision

        # A bad edit is refused, named in the log, and the settings in force carry on.
        staged.write_text("organisation_aliases:\n  gmp: greater_manchster\n", encoding="utf-8")
        staged.replace(force)
        wait_until(
            lambda: any(
                line.get("event") == "opa_reload_failed" and BAD_ALIAS in str(line.get("error"))
                for line in sidecar.log_lines()
            ),
            RELOAD_SECONDS,
            "the bad settings refused",
        )
        kept = sidecar.check(gmp_request())
        assert kept.allow is True
        assert kept.policy_revision == after.policy_revision
        assert sidecar.serving()
    finally:
        sidecar.stop()


@pytest.fixture
def remote_opa(tmp_path: Path) -> Iterator[tuple[OpaServer, Path]]:
    """An OPA the sidecar does not start, watching a settings bundle directory."""
    served = tmp_path / "served-settings"
    shutil.copytree(default_settings().path, served)
    server = OpaServer(bundles=[built_bundle().path, served], extra=["--watch"]).start()
    yield server, served
    server.stop()


def rewrite_settings(directory: Path, text: str, scratch: Path) -> str:
    """Write settings `text` (over the defaults) into the bundle directory OPA watches, in
    place; return their revision."""
    path = scratch / "remote.yaml"
    path.write_text(text, encoding="utf-8")
    merged = settings.merge(
        settings.defaults_of_bundle(built_bundle().path), settings.load_file(path)
    )
    built = settings.write_bundle(merged, scratch / "remote-bundle")
    for name in (".manifest", "vir/config/data.json"):
        (directory / name).write_bytes((built.path / name).read_bytes())
    return built.revision


def test_a_remote_opa_whose_settings_have_a_problem_decides_nothing(
    tmp_path: Path, remote_opa: tuple[OpaServer, Path]
) -> None:
    server, served = remote_opa
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=["--opa-url", server.url]).start()
    try:
        assert sidecar.check(example_request()).policy_revision == policy_revision()
        rewrite_settings(served, "organisation_aliases:\n  gmp: greater_manchster\n", tmp_path)
        wait_until(sidecar.not_serving, RELOAD_SECONDS, "NOT_SERVING on the bad settings")
        with pytest.raises(grpc.RpcError) as refused:
            sidecar.check(example_request())
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert BAD_ALIAS in str(refused.value.details())
        assert any(
            line.get("event") == "policy_settings_refused" and BAD_ALIAS in str(line["problems"])
            for line in sidecar.log_lines()
        )
        fixed = rewrite_settings(
            served, "organisation_aliases:\n  gmp: greater_manchester\n", tmp_path
        )
        wait_until(sidecar.serving, RELOAD_SECONDS, "SERVING on the mended settings")
        assert sidecar.check(gmp_request()).policy_revision == policy_revision(fixed)
    finally:
        sidecar.stop()
    errors = [r["error"] for r in audit_records(sidecar.audit_dir)]
    assert "opa_settings_invalid" in errors


def test_a_remote_opa_with_bad_settings_at_start_refuses_the_start(
    tmp_path: Path, remote_opa: tuple[OpaServer, Path]
) -> None:
    server, served = remote_opa
    rewrite_settings(served, "organisation_aliases:\n  gmp: greater_manchster\n", tmp_path)
    wait_until(
        lambda: _problems_served(server),
        RELOAD_SECONDS,
        "OPA serving the bad settings",
    )
    result = serve(tmp_path, "--opa-url", server.url)
    assert result.returncode == 1
    (failure,) = [
        json.loads(line)
        for line in result.stdout.splitlines()
        if line.startswith("{") and json.loads(line)["event"] == "startup_failed"
    ]
    assert BAD_ALIAS in failure["error"]


def _problems_served(server: OpaServer) -> bool:
    with urllib.request.urlopen(  # noqa: S310 - loopback
        f"{server.url}/v1/data/vir/authz/settings_problems", timeout=2
    ) as answer:
        return BAD_ALIAS in json.load(answer).get("result", [])


def test_settings_changed_under_an_unchanged_revision_are_checked_again(
    tmp_path: Path, remote_opa: tuple[OpaServer, Path]
) -> None:
    server, served = remote_opa
    sidecar = Sidecar(tmp_path / "sidecar", extra_args=["--opa-url", server.url]).start()
    try:
        revision = sidecar.check(example_request()).policy_revision
        manifest = (served / ".manifest").read_bytes()
        rewrite_settings(served, "organisation_aliases:\n  gmp: greater_manchster\n", tmp_path)
        # The old manifest back: OPA names the old revision for the bad settings.
        (served / ".manifest").write_bytes(manifest)
        wait_until(lambda: _problems_served(server), RELOAD_SECONDS, "OPA serving the bad settings")
        wait_until(sidecar.not_serving, RELOAD_SECONDS, "NOT_SERVING on the bad settings")
        with pytest.raises(grpc.RpcError) as refused:
            sidecar.check(example_request())
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert BAD_ALIAS in str(refused.value.details())
        assert revision == policy_revision()
    finally:
        sidecar.stop()
