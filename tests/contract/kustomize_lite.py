"""Renders our kustomizations without the kustomize binary (not packaged for PyPI or Debian's stable).

Only the fields infra/k8s uses: resources (files and directories), namespace, labels (with includeTemplates),
images, and patches (a strategic-merge file, or an inline JSON 6902 patch with a kind/name target). Anything
else is refused, so a new field cannot pass unrendered. Where kubectl is installed, a test renders with
``kubectl kustomize`` too and compares.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

KNOWN_FIELDS = frozenset({"apiVersion", "kind", "namespace", "labels", "resources", "images", "patches"})
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"})
POD_TEMPLATES = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"})


class KustomizeError(ValueError):
    """A kustomization uses something this renderer does not know, or refers to what does not exist."""


def _load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def _merge(base: Any, patch: Any) -> Any:
    """Strategic merge for what we patch: maps merge, lists of named maps merge by name, the rest replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and all(isinstance(x, dict) and "name" in x
                                                                  for x in [*base, *patch]):
        out_list = [copy.deepcopy(x) for x in base]
        for item in patch:
            for i, existing in enumerate(out_list):
                if existing["name"] == item["name"]:
                    out_list[i] = _merge(existing, item)
                    break
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]


def _json_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> None:
    for op in ops:
        *parents, last = _pointer(op["path"])
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        kind = op["op"]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if kind == "add":
                node.insert(index, op["value"])
            elif kind == "replace":
                node[index] = op["value"]
            elif kind == "remove":
                del node[index]
            else:
                raise KustomizeError(f"JSON patch op {kind!r} is not supported")
        elif kind in ("add", "replace"):
            if kind == "replace" and last not in node:
                raise KustomizeError(f"replace of missing {op['path']}")
            node[last] = op["value"]
        elif kind == "remove":
            del node[last]
        else:
            raise KustomizeError(f"JSON patch op {kind!r} is not supported")


def _find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise KustomizeError(f"patch target {kind}/{name} not found")


def render(directory: Path) -> list[dict[str, Any]]:
    """The manifests ``kustomize build directory`` would produce (for the fields we use)."""
    kustomization = next(iter(_load(directory / "kustomization.yaml")), None)
    if not isinstance(kustomization, dict):
        raise KustomizeError(f"{directory}: kustomization.yaml is empty")
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise KustomizeError(f"{directory}: fields {sorted(unknown)} are not supported")
    docs: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            docs.extend(render(path))
        elif path.is_file():
            docs.extend(_load(path))
        else:
            raise KustomizeError(f"{directory}: resource {resource} does not exist")
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            for piece in _load(directory / patch["path"]):
                target = _find(docs, piece["kind"], piece["metadata"]["name"])
                merged = _merge(target, piece)
                target.clear()
                target.update(merged)
        else:
            target = _find(docs, patch["target"]["kind"], patch["target"]["name"])
            _json_patch(target, yaml.safe_load(patch["patch"]))
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    for entry in kustomization.get("labels", []):
        pairs = entry["pairs"]
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(pairs)
            if entry.get("includeTemplates") and doc["kind"] in POD_TEMPLATES:
                doc["spec"]["template"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
    for image in kustomization.get("images", []):
        for doc in docs:
            if doc["kind"] not in POD_TEMPLATES:
                continue
            pod = doc["spec"]["template"]["spec"]
            for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
                if container["image"].split(":", 1)[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    return docs
