"""cert-manager: a Certificate for vir-sidecar's server certificate from a named issuer,
written to the Secret the pods and the helm test mount."""

from __future__ import annotations

from typing import Any

import pytest
from chartlib import FULLNAME, NAMESPACE, Helm, HelmError, Manifest, find, kinds, statefulset_pod

CERT_MANAGER = {"tls": {"certManager": {"enabled": True, "issuerRef": {"name": "force-ca"}}}}


def _secret_volumes(pod_spec: Manifest) -> dict[str, str]:
    return {v["name"]: v["secret"]["secretName"] for v in pod_spec["volumes"] if "secret" in v}


def _issued(helm: Helm, *settings: str, values: Any = ()) -> list[Manifest]:
    return helm.variant("tls", "tls.secretName=", *settings, values=[CERT_MANAGER, *values])


def test_no_certificate_unless_asked(helm: Helm) -> None:
    assert "Certificate" not in kinds(helm.variant("tls"))


def test_certificate_from_the_named_issuer_for_the_service_names(helm: Helm) -> None:
    manifests = _issued(helm, "tls.serverName=")
    certificate = find(manifests, "Certificate")
    assert certificate["apiVersion"] == "cert-manager.io/v1"
    spec = certificate["spec"]
    assert spec["issuerRef"] == {"name": "force-ca", "kind": "Issuer", "group": "cert-manager.io"}
    assert spec["dnsNames"] == [
        FULLNAME,
        f"{FULLNAME}.{NAMESPACE}",
        f"{FULLNAME}.{NAMESPACE}.svc",
        f"{FULLNAME}-headless.{NAMESPACE}.svc",
    ]
    assert (spec["duration"], spec["renewBefore"]) == ("2160h", "720h")
    assert spec["privateKey"] == {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}


def test_the_pods_and_the_helm_test_mount_the_issued_secret(helm: Helm) -> None:
    manifests = _issued(helm, "tls.clientAuth.caSecretName=", "tls.clientAuth.probeSecretName=")
    secret = find(manifests, "Certificate")["spec"]["secretName"]
    assert secret == f"{FULLNAME}-tls"
    volumes = _secret_volumes(statefulset_pod(manifests))
    # Server certificate, client CA (the issuer's ca.crt) and the probes' client certificate.
    assert volumes["tls"] == volumes["client-ca"] == volumes["probe-client"] == secret
    test_pod = find(manifests, "Pod")
    assert _secret_volumes(test_pod["spec"])["tls"] == secret
    # The probes present the serving certificate as a client: it is issued for both uses.
    usages = find(manifests, "Certificate")["spec"]["usages"]
    assert {"server auth", "client auth"} <= set(usages)


def test_certificate_is_server_only_when_probes_have_their_own(helm: Helm) -> None:
    manifests = _issued(helm)  # ci/tls-values.yaml names a probe client Secret.
    assert "client auth" not in find(manifests, "Certificate")["spec"]["usages"]
    assert _secret_volumes(statefulset_pod(manifests))["probe-client"] == "vir-sidecar-probe-client"


def test_server_name_and_chosen_names_and_secret(helm: Helm) -> None:
    values = {
        "tls": {
            "secretName": "vir-served-tls",
            "certManager": {
                "issuerRef": {"name": "org-ca", "kind": "ClusterIssuer"},
                "dnsNames": ["authz.force.example"],
                "duration": "720h",
                "renewBefore": "240h",
                "privateKey": {"algorithm": "RSA", "size": 3072},
            },
        }
    }
    manifests = helm.variant("tls", values=[CERT_MANAGER, values])
    spec = find(manifests, "Certificate")["spec"]
    assert spec["secretName"] == "vir-served-tls"
    assert spec["issuerRef"]["kind"] == "ClusterIssuer"
    assert spec["dnsNames"] == ["authz.force.example"]
    assert (spec["duration"], spec["renewBefore"]) == ("720h", "240h")
    assert spec["privateKey"]["algorithm"] == "RSA"
    assert _secret_volumes(statefulset_pod(manifests))["tls"] == "vir-served-tls"
    # By default the name the probes expect is among the certificate's names.
    default = find(helm.variant("tls", values=[CERT_MANAGER]), "Certificate")["spec"]
    assert "vir-sidecar.authz.svc" in default["dnsNames"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["tls.certManager.issuerRef.name="], r"issuerRef\.name is required"),
        (["tls.enabled=false", "grpc.insecure=true"], "needs tls.enabled=true"),
        (["tls.certManager.duration=90days"], "duration"),
    ],
)
def test_certificate_values_fail_with_a_message(
    helm: Helm, settings: list[str], message: str
) -> None:
    with pytest.raises(HelmError, match=message):
        _issued(helm, *settings)
