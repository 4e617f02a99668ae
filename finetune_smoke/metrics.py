"""A classification report in the standard library (the seed article used sklearn without
importing it). Pure functions, same definitions as sklearn's ``classification_report``:
precision = TP/(TP+FP), recall = TP/(TP+FN), F1 their harmonic mean, 0.0 when undefined;
macro = unweighted mean over classes; weighted = mean weighted by support."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _safe_div(num: float, den: float) -> float:
    return num / den if den else 0.0


def classification_report(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1/support, accuracy, macro and weighted averages."""
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    classes: dict[str, dict[str, float]] = {}
    for k, name in enumerate(labels):
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == k and p == k)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != k and p == k)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == k and p != k)
        precision = _safe_div(tp, tp + fp)
        recall = _safe_div(tp, tp + fn)
        classes[name] = {
            "precision": precision,
            "recall": recall,
            "f1": _safe_div(2 * precision * recall, precision + recall),
            "support": tp + fn,
        }
    total = len(y_true)
    keys = ("precision", "recall", "f1")
    macro = {k: _safe_div(sum(c[k] for c in classes.values()), len(classes)) for k in keys}
    weighted = {k: _safe_div(sum(c[k] * c["support"] for c in classes.values()), total) for k in keys}
    return {
        "classes": classes,
        "accuracy": _safe_div(sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == p), total),
        "macro_avg": {**macro, "support": total},
        "weighted_avg": {**weighted, "support": total},
    }


def format_report(report: dict[str, Any]) -> str:
    """Render a report as the familiar fixed-width table."""
    width = max(12, *(len(n) for n in report["classes"]))
    head = f"{'':>{width}} {'precision':>9} {'recall':>9} {'f1-score':>9} {'support':>9}"
    lines = [head, ""]
    for name, c in report["classes"].items():
        lines.append(f"{name:>{width}} {c['precision']:9.3f} {c['recall']:9.3f} {c['f1']:9.3f} {c['support']:9d}")
    total = report["macro_avg"]["support"]
    lines += ["", f"{'accuracy':>{width}} {'':>9} {'':>9} {report['accuracy']:9.3f} {total:9d}"]
    for key, title in (("macro_avg", "macro avg"), ("weighted_avg", "weighted avg")):
        a = report[key]
        lines.append(f"{title:>{width}} {a['precision']:9.3f} {a['recall']:9.3f} {a['f1']:9.3f} {a['support']:9d}")
    return "\n".join(lines)
