"""The PDF writer of the Deploy app: one A4 page with the numbers and the segmenter's contours.

The page holds the patient and series, EDV and ESV (ml) and EF (%) with their SDs (the combined estimate,
as ``predict`` reports it) beside each reader's own values, the ED/ES phases and any warning, and the mid
slice at ED and ES with the segmentation reader's outlines (LV cavity red, myocardium green, RV blue), in
the colours and crop of :mod:`cardio_monai.evaluation.contours`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cardio_monai.deploy.cine import series_label
from cardio_monai.deploy.measure import CardiacFunction
from cardio_monai.evaluation.contours import CONTOUR_COLOURS, heart_box
from cardio_monai.utils import atomic_path

A4_INCHES = (8.27, 11.69)
ROWS = (("EDV", "EDV_ml", "EDV_sd_ml", "ml"), ("ESV", "ESV_ml", "ESV_sd_ml", "ml"), ("EF", "EF_pct", "EF_sd_pct", "%"))


def _number(row: dict, key: str) -> str:
    value = row.get(key)
    return "-" if value is None or value == "" else f"{float(value):.1f}"


def number_table(row: dict) -> list[list[str]]:
    """The report's table: one line per quantity, columns combined ± SD, SFERA, segmentation reader."""
    return [
        [
            f"{name} ({unit})",
            f"{_number(row, key)} ± {_number(row, sd)}",
            _number(row, f"sfera_{key}"),
            _number(row, f"seg_{key}"),
        ]
        for name, key, sd, unit in ROWS
    ]


def mid_slice_panels(result: CardiacFunction) -> tuple[np.ndarray, np.ndarray, int]:
    """The mid slice at ED and ES, cropped around the heart: frames float32 (2, h, w), labels uint8 (2, h, w),
    and the slice index (0-based, base -> apex)."""
    record = result.cine.record
    z = record.n_slices // 2
    frames = np.stack([record.frames[int(record.ed), z], record.frames[int(record.es), z]]).astype(np.float32)
    labels = result.labels[:, z]
    frames, labels = heart_box(frames, labels)
    return frames, labels, z


def report_figure(result: CardiacFunction) -> Figure:
    """The report page as a matplotlib figure (object API, A4 portrait)."""
    record, row, first = result.cine.record, result.row, result.cine.first
    fig = Figure(figsize=A4_INCHES)
    fig.text(0.07, 0.95, "Left-ventricular function from cine short-axis MRI", fontsize=16, weight="bold")
    header = [
        f"Patient ID: {first.get('PatientID', '') or '-'}    Study date: {first.get('StudyDate', '') or '-'}",
        f"Source: {series_label(result.cine.datasets)}, {len(result.cine.datasets)} images, "
        f"{record.n_slices} slices x {record.n_phases} phases",
        f"Pixel {record.pixel_spacing[0]:.2f} x {record.pixel_spacing[1]:.2f} mm, slice spacing "
        f"{record.slice_spacing:.1f} mm; ED phase {record.ed}, ES phase {record.es} (0-based)",
    ]
    for i, line in enumerate(header):
        fig.text(0.07, 0.915 - 0.022 * i, line, fontsize=9.5)
    ax = fig.add_axes((0.07, 0.70, 0.86, 0.13))
    ax.axis("off")
    table = ax.table(
        cellText=number_table(row),
        colLabels=["", "estimate ± SD", "SFERA reader", "segmentation reader"],
        loc="center",
        cellLoc="center",
    )
    table.scale(1, 1.6)
    table.set_fontsize(10)
    agree = row.get("readers_agree")
    notes = [
        "Estimate: both readers combined, with its predictive SD"
        + ("" if agree in (None, "") else f"; readers agree: {'yes' if agree else 'no'}"),
    ]
    if row.get("warning"):
        notes += textwrap.wrap(f"Note: {row['warning']}", 110)
    for i, line in enumerate(notes):
        fig.text(0.07, 0.68 - 0.02 * i, line, fontsize=8.5)
    frames, labels, z = mid_slice_panels(result)
    lo, hi = np.percentile(frames, [1, 99])
    for k, phase in enumerate(("ED", "ES")):
        pic = fig.add_axes((0.07 + 0.45 * k, 0.17, 0.41, 0.41))
        pic.imshow(frames[k], cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        for value, colour in CONTOUR_COLOURS.items():
            mask = labels[k] == value
            if mask.any():
                pic.contour(mask.astype(np.float32), levels=[0.5], colors=colour, linewidths=1.0)
        pic.set_xticks([])
        pic.set_yticks([])
        pic.set_title(f"{phase} (phase {record.ed if k == 0 else record.es}), slice {z + 1} of {record.n_slices}")
    fig.text(0.07, 0.14, "Segmentation reader's outlines: LV cavity red, myocardium green, RV blue.", fontsize=8.5)
    fig.text(
        0.07,
        0.05,
        "cardio-monai MONAI Deploy application. Research use only; not for diagnosis. "
        "The coded values are in the DICOM SR written beside this report.",
        fontsize=7.5,
        color="0.35",
    )
    return fig


def write_report(path: str | Path, result: CardiacFunction) -> Path:
    """Write the one-page PDF report of ``result`` to ``path`` atomically; returns the path."""
    fig = report_figure(result)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="pdf")
    return Path(path)
