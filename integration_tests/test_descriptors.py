"""`make descriptors`: the publishable descriptor set is complete and self-contained."""

from __future__ import annotations

import subprocess
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool

from integration_tests.processes import ROOT

API_FILE = "vir/authz/v1/authz_service.proto"


def build_descriptor_set(tmp_path: Path) -> descriptor_pb2.FileDescriptorSet:
    output = tmp_path / "vir-authz-v1.binpb"
    subprocess.run(
        ["make", "-s", "descriptors", f"DESCRIPTOR_SET={output}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return descriptor_pb2.FileDescriptorSet.FromString(output.read_bytes())


def test_descriptor_set_holds_the_api_with_its_imports_and_comments(tmp_path: Path) -> None:
    files = {f.name: f for f in build_descriptor_set(tmp_path).file}
    assert set(files) == {API_FILE, "google/protobuf/timestamp.proto"}
    api = files[API_FILE]
    assert api.options.go_package.endswith(";authzv1")
    assert api.options.java_package == "io.github.virsidecar.vir.authz.v1"
    assert api.options.java_multiple_files is True
    assert api.options.csharp_namespace == "Vir.Authz.V1"
    comments = [loc.leading_comments for loc in api.source_code_info.location]
    assert any("required" in comment for comment in comments)


def test_descriptor_set_loads_into_a_fresh_pool_with_the_check_method(tmp_path: Path) -> None:
    pool = descriptor_pool.DescriptorPool()
    for file in build_descriptor_set(tmp_path).file:
        pool.Add(file)
    method = pool.FindMethodByName("vir.authz.v1.AuthorizationService.Check")
    assert method.input_type.full_name == "vir.authz.v1.CheckRequest"
    assert method.output_type.full_name == "vir.authz.v1.CheckResponse"
