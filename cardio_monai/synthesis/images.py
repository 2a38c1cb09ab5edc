"""Synthetic cine stacks from a synthetic mask cohort with the GauGAN bundle (``synthesize-images``).

Every subject of ``MASK_DIR/manifest.csv`` (written by ``synthesize-masks``) becomes two NIfTI image
stacks, ``<subject>_ED.nii.gz`` and ``<subject>_ES.nii.gz``, with the geometry of its label maps, and
``OUT/manifest.csv`` lists them with the label maps and the volumes, in the manifest form that
``cardio_monai.io.manifest`` reads (ready for SFERA training). Per slice, the ED and ES label maps are
resampled to the generator's pixel size, cropped around the LV to its input size, generated together,
pasted back and resampled to the label maps' grid. Finished subjects are skipped on a rerun.
"""

from __future__ import annotations

import csv
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cardio_monai.columns import IMAGE_MANIFEST_COLUMNS, SOURCE_SUBJECT, SUBJECT
from cardio_monai.constants import QUANTILE_HIGH_PCT, QUANTILE_LOW_PCT, SYN_REGION_MARGIN_PX
from cardio_monai.errors import InputError
from cardio_monai.io.manifest import csv_text
from cardio_monai.io.nifti import load_label, load_nifti
from cardio_monai.io.outputs import check_output, safe_name
from cardio_monai.io.writers import write_nifti
from cardio_monai.synthesis.backgrounds import SourceFrames, cohort_sources
from cardio_monai.transforms.heart import label_centre
from cardio_monai.transforms.intensity import scale_to_unit
from cardio_monai.transforms.region import heart_region
from cardio_monai.transforms.spatial import CropOrPadCentred, ResampleInPlane
from cardio_monai.utils import progress, write_csv
from cardio_monai.utils.bundle import default_bundle, load_bundle_network
from cardio_monai.utils.checkpoint import load_weights
from cardio_monai.utils.device import resolve_device

DEFAULT_BUNDLE = default_bundle("cardiac_gaugan_synthesis")
MANIFEST = "manifest.csv"


def load_generator(
    bundle: str | Path | None = None,
    device: str | torch.device = "cpu",
    weights: str | Path | None = None,
    **overrides: Any,
) -> tuple[torch.nn.Module, float, int]:
    """The bundle's generator with its weights (eval mode), its pixel size (mm) and input size (px).

    The network is the ``network_def`` of the bundle's ``configs/inference.json`` (its one description
    for inference, as the model zoo reads it). ``weights``: another checkpoint than the bundle's
    ``models/model.pt``; ``overrides``: config values to replace first (e.g. ``phases=1`` for a per-frame
    generator).

    Raises:
        InputError: no bundle config, a missing or corrupt checkpoint, or one of another architecture.
    """
    generator, parser = load_bundle_network(
        DEFAULT_BUNDLE if bundle is None else bundle,
        "GauGAN",
        "train the GauGAN bundle or pass --bundle",
        weights=weights,
        overrides=overrides,
        what="the bundle's generator",
    )
    return generator.to(device).eval(), float(parser["pixel_mm"]), int(parser["image_size"])


@torch.no_grad()
def synthesize_stack(
    ed_label: np.ndarray,
    es_label: np.ndarray,
    pixel_spacing: tuple[float, float],
    generator: torch.nn.Module,
    pixel_mm: float,
    image_size: int,
    device: str | torch.device = "cpu",
    batch: int = 16,
    source: tuple[np.ndarray, np.ndarray] | None = None,
    margin_px: int = SYN_REGION_MARGIN_PX,
) -> np.ndarray:
    """ED and ES frames (2, Z, H, W) float32 in [0, 1] for label maps (Z, H, W) on a grid of ``pixel_spacing`` mm.

    ``source``: for a background-preserving generator, the source subject's real ED/ES frames (2, Z, H, W)
    and label maps (2, Z, H, W) on the same grid. The painted region is the heart of the synthetic and of
    the real label maps together, dilated by ``margin_px`` generator pixels; outside it the result is the
    source's frames at their own resolution ([3, 97] % of the generator's window over the labelled slices
    mapped to [0, 1], as the training frames were), blended into the generated ones across the region's
    resampled edge. Slices without labels stay real. A generator with noise channels gets noise seeded by
    the cropped label maps themselves (CRC-32 of their bytes): the same subject gives the same frames in any
    order, shard or resumed run, and different subjects get different noise."""
    labels = np.stack([ed_label, es_label])  # (2, Z, H, W)
    resampled, _ = ResampleInPlane(pixel_mm, mode="nearest")(labels, pixel_spacing)
    centre = label_centre(resampled)
    h, w = resampled.shape[-2:]
    if centre is None:
        centre = ((h - 1) / 2.0, (w - 1) / 2.0)
    cropper = CropOrPadCentred(image_size)
    crop = cropper(resampled, centre)  # (2, Z, S, S)
    slices = torch.as_tensor(crop.transpose(1, 0, 2, 3).astype(np.int64))  # (Z, 2, S, S)
    canvas = np.zeros((2, labels.shape[1], h, w), dtype=np.float32)  # the generated frames on the resampled grid
    inputs: dict[str, torch.Tensor] = {"label": slices}
    if source is not None:
        real = ResampleInPlane(pixel_mm, mode="bilinear")(source[0], pixel_spacing)[0]
        real_labels = ResampleInPlane(pixel_mm, mode="nearest")(source[1], pixel_spacing)[0]
        window, window_labels = cropper(real, centre), cropper(real_labels, centre)
        labelled = (crop > 0).any(axis=(0, 2, 3)) | (window_labels > 0).any(axis=(0, 2, 3))
        lo, hi = np.percentile(window[:, labelled] if labelled.any() else window, (QUANTILE_LOW_PCT, QUANTILE_HIGH_PCT))
        window = scale_to_unit(window, float(lo), float(hi))
        region = heart_region(slices, margin_px, window_labels.transpose(1, 0, 2, 3))
        inputs.update(image=torch.as_tensor(window.transpose(1, 0, 2, 3)), region=region)  # (Z, 2|1, S, S)
        canvas = scale_to_unit(real, float(lo), float(hi))
    n_noise = int(getattr(generator, "noise_channels", 0))
    if n_noise:
        seed = torch.Generator().manual_seed(zlib.crc32(np.ascontiguousarray(crop).tobytes()))
        inputs["noise"] = torch.randn((len(slices), n_noise, *slices.shape[-2:]), generator=seed)
    frames = torch.cat(
        [
            generator.frames_from_labels(**{k: x[i : i + batch].to(device) for k, x in inputs.items()}).cpu()
            for i in range(0, len(slices), batch)
        ]
    )
    # Paste the generated window back onto the resampled grid, then back to the label grid.
    overlap = cropper.window((h, w), centre)
    alpha = np.zeros((1, labels.shape[1], h, w), dtype=np.float32)
    if overlap is not None:
        src, dst = overlap
        canvas[(..., *src)] = frames.numpy().transpose(1, 0, 2, 3)[(..., *dst)]
        if source is not None:
            alpha[(..., *src)] = inputs["region"].numpy().transpose(1, 0, 2, 3)[(..., *dst)]
    size = tuple(labels.shape[-2:])
    back = F.interpolate(torch.as_tensor(canvas), size=size, mode="bilinear", align_corners=False).clamp(0.0, 1.0)
    if source is None:
        return back.numpy()
    alpha_back = F.interpolate(torch.as_tensor(alpha), size=size, mode="bilinear", align_corners=False).numpy()
    return scale_to_unit(source[0], float(lo), float(hi)) * (1.0 - alpha_back) + back.numpy() * alpha_back


def _read_mask_manifest(mask_dir: Path) -> list[dict[str, str]]:
    path = mask_dir / MANIFEST
    if not path.is_file():
        raise InputError(mask_dir, f"no {MANIFEST}: not a synthesize-masks output")
    with csv_text(path) as fh:
        rows = list(csv.DictReader(fh))
    needed = {SUBJECT, "EDV_ml", "ESV_ml", "ed_path", "es_path"}
    if not rows or not needed <= set(rows[0]):
        raise InputError(path, f"needs the columns {sorted(needed)} and at least one row")
    names: dict[str, str] = {}
    for n, row in enumerate(rows, 2):
        if None in row or any(row.get(c) in (None, "") for c in needed):
            raise InputError(path, f"line {n}: ragged row or empty {sorted(needed)} cell")
        name = safe_name(row[SUBJECT])
        if name in names:
            raise InputError(path, f"line {n}: subject {row[SUBJECT]!r} gives the same file names as {names[name]!r}")
        names[name] = row[SUBJECT]
    return rows


class CohortSynthesizer:
    """Image stacks for every subject of a mask cohort (``synthesize-masks`` output) with a generator.

    Args:
        generator: label maps (B, P, H, W) -> frames (B, P, H, W) in [0, 1] (``frames_from_labels``).
        pixel_mm: the generator's pixel size (mm).
        image_size: its input size (px).
        device: where it runs.
        checkpoint: weights to load into ``generator`` first (a state dict file); ``None``: as given.
        sources: for a background-preserving generator (``generator.background``), the folder of the
            cohort's real source subjects; ``None``: the one its ``run.json`` records.
        margin_px: the painted region's dilation (generator pixels) around the synthetic and real hearts.

    Calling it with ``(mask_dir, out)`` writes ``<subject>_ED.nii.gz`` and ``<subject>_ES.nii.gz`` (the label
    maps' geometry) and ``out/manifest.csv``, keeping subjects finished by an earlier run, and returns the
    manifest rows. A background-preserving run reads every source it needs before it writes anything.
    """

    def __init__(
        self,
        generator: torch.nn.Module,
        pixel_mm: float,
        image_size: int,
        device: str | torch.device = "cpu",
        checkpoint: str | Path | None = None,
        sources: str | Path | None = None,
        margin_px: int = SYN_REGION_MARGIN_PX,
    ) -> None:
        if checkpoint is not None:
            load_weights(generator, checkpoint, "the bundle's generator", "train the GauGAN bundle")
        self.generator = generator.to(device).eval()
        self.pixel_mm, self.image_size, self.device = float(pixel_mm), int(image_size), device
        self.background = bool(getattr(generator, "background", False))
        self.sources, self.margin_px = sources, int(margin_px)

    def _source_frames(self, mask_dir: Path, rows: list[dict[str, str]]) -> SourceFrames | None:
        """The sources of the rows still to synthesise, each read once and its first subject's grid checked."""
        if not self.background or not rows:
            return None
        for row in rows:
            if not row.get(SOURCE_SUBJECT):
                raise InputError(
                    mask_dir / MANIFEST,
                    f"subject {row[SUBJECT]!r}: no source_subject for background-preserving synthesis",
                )
        frames = SourceFrames(cohort_sources(mask_dir, self.sources), [r[SOURCE_SUBJECT] for r in rows])
        frames.check()
        first = {r[SOURCE_SUBJECT]: r for r in reversed(rows)}
        for subject, row in first.items():
            path = mask_dir / row["ed_path"]
            _, affine, _ = load_nifti(path, ndim=(3,))
            frames.frames(subject, affine, load_label(path).shape, path)
        return frames

    def __call__(self, mask_dir: str | Path, out: str | Path) -> list[dict[str, Any]]:
        mask_dir, out = Path(mask_dir), Path(out)
        rows = _read_mask_manifest(mask_dir)
        check_output(out, mask_dir, mask_dir / MANIFEST, file=False)

        def outputs(row: dict[str, str]) -> tuple[Path, Path]:
            name = safe_name(row["subject"])
            return out / f"{name}_ED.nii.gz", out / f"{name}_ES.nii.gz"

        todo = [r for r in rows if not all(p.is_file() for p in outputs(r))]  # resumable: finished ones are kept
        todo.sort(key=lambda r: r.get(SOURCE_SUBJECT, ""))  # each source read once
        sources = self._source_frames(mask_dir, todo)
        out.mkdir(parents=True, exist_ok=True)
        for tmp in out.glob(".part-*"):  # temporaries of a killed run
            tmp.unlink(missing_ok=True)
        for row in progress(todo, desc="synthesize-images"):
            ed_path, es_path = mask_dir / row["ed_path"], mask_dir / row["es_path"]
            ed_out, es_out = outputs(row)
            ed = load_label(ed_path)
            es = load_label(es_path, shape=ed.shape)
            _, affine, zooms = load_nifti(ed_path, ndim=(3,))
            source = None if sources is None else sources.frames(row[SOURCE_SUBJECT], affine, ed.shape, ed_path)
            frames = synthesize_stack(
                ed,
                es,
                (float(zooms[0]), float(zooms[1])),
                self.generator,
                self.pixel_mm,
                self.image_size,
                self.device,
                source=source,
                margin_px=self.margin_px,
            )
            write_nifti(ed_out, frames[0], affine)
            write_nifti(es_out, frames[1], affine)
        written = [
            {
                "subject": row["subject"],
                SOURCE_SUBJECT: row.get(SOURCE_SUBJECT, ""),
                "operation": row.get("operation", ""),
                "EDV_ml": row["EDV_ml"],
                "ESV_ml": row["ESV_ml"],
                "EF_pct": row.get("EF_pct", ""),
                "ed_image_path": outputs(row)[0].name,
                "es_image_path": outputs(row)[1].name,
                "ed_label_path": os.path.relpath(mask_dir / row["ed_path"], out),
                "es_label_path": os.path.relpath(mask_dir / row["es_path"], out),
            }
            for row in rows
        ]
        write_csv(out / MANIFEST, written, IMAGE_MANIFEST_COLUMNS)
        return written


def synthesize_images(
    mask_dir: str | Path,
    out: str | Path,
    bundle: str | Path | None = None,
    device: str = "cpu",
    sources: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Image stacks for every subject of a mask cohort with the bundle's generator; returns the manifest rows
    written to ``OUT/manifest.csv`` (see :class:`CohortSynthesizer`; ``sources``: the real source subjects of a
    background-preserving generator, default the folder the cohort's ``run.json`` records)."""
    _read_mask_manifest(Path(mask_dir))  # a wrong MASK_DIR is reported before the generator is loaded
    dev = resolve_device(device)
    generator, pixel_mm, image_size = load_generator(bundle, dev)
    return CohortSynthesizer(generator, pixel_mm, image_size, dev, sources=sources)(mask_dir, out)
