"""Gradient-boosted trees read from LightGBM's JSON dump and evaluated with numpy.

Training uses LightGBM (``bench.recognition.lofo``); reading needs only its trees. A model is the documented dump
(``Booster.dump_model()``) flattened into arrays per tree, so the ocr worker loads it in a few milliseconds,
needs no OpenMP runtime, and predicts exactly what LightGBM predicts (a test holds both to the same numbers).
Only numerical ``<=`` splits are used: every feature here is a number, none categorical, none missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Tree:
    feature: np.ndarray
    """Split feature per node; -1 at a leaf."""
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    """Leaf value at a leaf; LightGBM's internal value (the node's mean output) at a split."""


class Ensemble:
    """The sum of the trees' leaf values, through the sigmoid (LightGBM's ``binary`` objective). All trees are
    walked at once: their nodes are stacked into one set of arrays, each tree starting at its own root."""

    def __init__(self, trees: Sequence[Tree], features: Sequence[str]) -> None:
        self.trees = list(trees)
        self.features = list(features)
        sizes = [len(t.feature) for t in self.trees]
        self._roots = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
        offsets = np.repeat(self._roots, sizes)
        self._feature = np.concatenate([t.feature for t in self.trees]) if self.trees else np.zeros(0, np.int64)
        self._threshold = np.concatenate([t.threshold for t in self.trees]) if self.trees else np.zeros(0)
        self._left = (np.concatenate([t.left for t in self.trees]) + offsets) if self.trees else np.zeros(0, np.int64)
        self._right = (np.concatenate([t.right for t in self.trees]) + offsets) if self.trees else np.zeros(0, np.int64)
        self._value = np.concatenate([t.value for t in self.trees]) if self.trees else np.zeros(0)

    def _walk(self, matrix: np.ndarray) -> list[np.ndarray]:
        """The nodes each row visits in each tree, step by step (rows x trees per step), roots first."""
        node = np.broadcast_to(self._roots, (matrix.shape[0], len(self._roots))).copy()
        rows = np.arange(matrix.shape[0])[:, None]
        path = [node]
        while True:
            feature = self._feature[node]
            inner = feature >= 0
            if not inner.any():
                return path
            go_left = matrix[rows, np.maximum(feature, 0)] <= self._threshold[node]
            node = np.where(inner, np.where(go_left, self._left[node], self._right[node]), node)
            path.append(node)

    def raw(self, matrix: np.ndarray) -> np.ndarray:
        if not self.trees:
            return np.zeros(matrix.shape[0])
        return np.asarray(self._value[self._walk(matrix)[-1]].sum(axis=1))

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-self.raw(matrix))))

    def contributions(self, row: np.ndarray) -> np.ndarray:
        """Per feature, how much the splits on it moved this row's raw score (Saabas: along each tree's path,
        the change of the node's value at each split)."""
        out = np.zeros(len(self.features))
        path = self._walk(row.reshape(1, -1))
        for parent, child in pairwise(path):
            moved = parent[0] != child[0]
            before, after = parent[0][moved], child[0][moved]
            np.add.at(out, self._feature[before], self._value[after] - self._value[before])
        return out

    def to_json(self) -> dict[str, Any]:
        return {"features": self.features, "trees": [
            {"feature": t.feature.tolist(), "threshold": t.threshold.tolist(), "left": t.left.tolist(),
             "right": t.right.tolist(), "value": t.value.tolist()} for t in self.trees]}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ensemble:
        trees = [Tree(np.asarray(t["feature"], dtype=np.int64), np.asarray(t["threshold"], dtype=float),
                      np.asarray(t["left"], dtype=np.int64), np.asarray(t["right"], dtype=np.int64),
                      np.asarray(t["value"], dtype=float)) for t in data["trees"]]  # fmt: skip
        return cls(trees, data["features"])

    @classmethod
    def from_lightgbm(cls, dump: Mapping[str, Any]) -> Ensemble:
        """From ``Booster.dump_model()`` of a binary model with numerical splits."""
        if dump.get("objective", "").split()[0] != "binary":
            raise ValueError(f"trees: objective {dump.get('objective')!r} is not binary")
        return cls([_flatten(info["tree_structure"]) for info in dump["tree_info"]], dump["feature_names"])


def _flatten(root: Mapping[str, Any]) -> Tree:
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []

    def visit(node: Mapping[str, Any]) -> int:
        index = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        if "leaf_value" in node:
            value.append(float(node["leaf_value"]))
            return index
        if node.get("decision_type") != "<=":
            raise ValueError(f"trees: split {node.get('decision_type')!r} is not a numerical '<='")
        value.append(float(node["internal_value"]))
        feature[index] = int(node["split_feature"])
        threshold[index] = float(node["threshold"])
        left[index] = visit(node["left_child"])
        right[index] = visit(node["right_child"])
        return index

    visit(root)
    return Tree(np.asarray(feature, dtype=np.int64), np.asarray(threshold), np.asarray(left, dtype=np.int64),
                np.asarray(right, dtype=np.int64), np.asarray(value))  # fmt: skip


__all__ = ["Ensemble", "Tree"]
