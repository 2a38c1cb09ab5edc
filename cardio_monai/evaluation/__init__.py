"""Evaluation of predicted EDV, ESV and EF against reference values: metrics with bootstrap CIs, the
Kruskal-Wallis comparison of two predictors, scatter and Bland-Altman plots, and the ``evaluate`` report."""

from cardio_monai.evaluation.metrics import (
    EF_LOW_PCT,
    METRIC_NAMES,
    QUANTITIES,
    agreement,
    agreement_stats,
    bootstrap_ci,
    cardiac_agreement,
)
from cardio_monai.evaluation.report import build_report, evaluate_predictions, read_volume_table
from cardio_monai.evaluation.stats import compare_absolute_errors, kruskal_wallis

__all__ = [
    "EF_LOW_PCT",
    "METRIC_NAMES",
    "QUANTITIES",
    "agreement",
    "agreement_stats",
    "bootstrap_ci",
    "build_report",
    "cardiac_agreement",
    "compare_absolute_errors",
    "evaluate_predictions",
    "kruskal_wallis",
    "read_volume_table",
]
