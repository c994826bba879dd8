"""Publishing the chart: metadata that lints clean, a README generated from values.yaml and
kept fresh, and a versioned package that lints and renders like the chart directory."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tarfile
from pathlib import Path

import yaml
from chartlib import CHART, CI_VALUES, KUBE_VERSIONS, ROOT, Helm

ICON = ROOT / "docs" / "images" / "vir-sidecar.svg"
DOCS_SCRIPT = ROOT / "scripts" / "chart-docs.sh"


def _chart_yaml() -> dict[str, object]:
    return dict(yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8")))


def test_chart_metadata_names_home_sources_maintainers_and_icon() -> None:
    chart = _chart_yaml()
    assert str(chart["home"]).startswith("https://")
    sources = chart["sources"]
    assert isinstance(sources, list)
    assert sources
    assert all(str(s).startswith("https://") for s in sources)
    # No personal contact details: the maintainers are named as a group.
    assert chart["maintainers"] == [{"name": "vir-sidecar maintainers"}]
    # The icon is docs/images/vir-sidecar.svg inline: the chart names no image host.
    prefix = "data:image/svg+xml;base64,"
    icon = str(chart["icon"])
    assert icon.startswith(prefix)
    assert base64.b64decode(icon.removeprefix(prefix)) == ICON.read_bytes()


def test_lint_strict_prints_no_warnings_or_recommendations(helm: Helm) -> None:
    output = helm.run(
        "lint",
        "--strict",
        str(CHART),
        "--values",
        str(CI_VALUES / "production-values.yaml"),
        "--kube-version",
        f"{KUBE_VERSIONS[-1]}.0",
    )
    assert "[INFO]" not in output
    assert "[WARNING]" not in output
    assert "1 chart(s) linted, 0 chart(s) failed" in output


def _docs(helm_docs: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "scripts" / "chart-docs.sh"), str(helm_docs), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_readme_is_generated_from_the_values_comments(helm_docs: Path) -> None:
    result = _docs(helm_docs, ROOT, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    # The hand-written introduction, then a row per documented value.
    assert readme.startswith("# vir-sidecar Helm chart\n")
    assert "| tls.certManager.issuerRef.name | string |" in readme
    assert "| commonLabels | object | `{}` |" in readme


def test_readme_check_fails_when_a_values_comment_changes(helm_docs: Path, tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(DOCS_SCRIPT, tmp_path / "scripts")
    chart = tmp_path / "helm" / "vir-sidecar"
    shutil.copytree(CHART, chart)
    values = chart / "values.yaml"
    text = values.read_text(encoding="utf-8")
    values.write_text(text.replace("# -- Number of pods", "# -- How many pods"), encoding="utf-8")
    stale = _docs(helm_docs, tmp_path, "--check")
    assert stale.returncode == 1
    assert "make chart-docs" in stale.stderr
    assert _docs(helm_docs, tmp_path).returncode == 0
    assert "How many pods" in (chart / "README.md").read_text(encoding="utf-8")
    assert _docs(helm_docs, tmp_path, "--check").returncode == 0


def test_package_is_versioned_lints_and_renders_like_the_chart(helm: Helm, tmp_path: Path) -> None:
    helm.run("package", str(CHART), "--destination", str(tmp_path))
    version = _chart_yaml()["version"]
    package = tmp_path / f"vir-sidecar-{version}.tgz"
    assert package.is_file()
    with tarfile.open(package) as archive:
        names = set(archive.getnames())
    assert {"vir-sidecar/values.schema.json", "vir-sidecar/README.md"} <= names
    assert "vir-sidecar/files/vir-policy.tar.gz" in names
    assert "vir-sidecar/README.md.gotmpl" not in names
    output = helm.run(
        "lint",
        "--strict",
        str(package),
        "--values",
        str(CI_VALUES / "production-values.yaml"),
        "--kube-version",
        f"{KUBE_VERSIONS[-1]}.0",
    )
    assert "0 chart(s) failed" in output
    production = [CI_VALUES / "production-values.yaml"]
    assert helm.template(values_files=production, chart=package) == helm.template(
        values_files=production
    )


def test_docs_show_the_production_values_the_tests_render() -> None:
    docs = (ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    section = docs.split("## A production values file for one force\n", 1)[1]
    shown = section.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    assert shown == (CI_VALUES / "production-values.yaml").read_text(encoding="utf-8")
