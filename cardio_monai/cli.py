"""The ``python -m cardio_monai`` command line (fire). Thin: parse, call the library, report.

Errors in the user's input print ``error: <file>: <problem>`` on stderr and exit 2, with no
traceback and no partial output file.
"""

from __future__ import annotations

import sys
import warnings

import fire

from cardio_monai.cli_args import check_arguments
from cardio_monai.errors import ParameterError, input_error_in
from cardio_monai.io import InputError


def volumes(
    input: str,
    out: str = "volumes.csv",
    method: str = "summation",
    thickness_mm: float | None = None,
    skip_bad: bool = False,
) -> str:
    """LV volumes from label maps: writes ``subject, EDV_ml, ESV_ml, EF_pct`` to OUT.

    Args:
        input: a DICOM cine folder, 4D NIfTI, ACDC patient folder (or a folder of them),
            Sunnybrook root, manifest CSV, or a folder holding several studies.
        out: output CSV path.
        method: ``summation`` (slice summation) or ``simpson`` (Simpson's rule over slices).
        thickness_mm: slice thickness for the volume (default: the study's slice spacing).
        skip_bad: write a warning row for an unreadable subject instead of stopping.
    """
    from cardio_monai.measure import measure_volumes

    rows = measure_volumes(str(input), str(out), method=method, thickness_mm=thickness_mm, skip_bad=bool(skip_bad))
    return f"{len(rows)} subjects -> {out}"


def evaluate(
    predictions: str | list[str],
    reference: str | list[str],
    predictions2: str | list[str] | None = None,
    out: str = "evaluation",
) -> str:
    """Accuracy of predicted volumes: writes OUT/metrics.json and PNG scatter and Bland-Altman plots.

    Metrics per quantity (EDV and ESV in ml, EF in %): RMSE +- SD of the errors, MAE, bias, Pearson r and
    Bland-Altman limits, each with a bootstrap 95 % CI; also for the EF < 40 % subgroup and per reference group.

    Args:
        predictions: CSV ``subject, EDV_ml, ESV_ml, EF_pct[, EDV_sd_ml, ESV_sd_ml, EF_sd_pct, warning]``, or
            several joined by commas, pooled (the held-out folds of a cross-validation).
        reference: CSV ``subject, EDV_ml, ESV_ml[, EF_pct, group]`` (e.g. reference_volumes.csv), or several
            joined by commas.
        predictions2: a second predictions CSV: its metrics and a Kruskal-Wallis test of the absolute errors.
        out: output folder.
    """
    from cardio_monai.evaluation import evaluate_predictions
    from cardio_monai.io import check_output

    def paths(value):  # fire may parse a bare name as a number, and a bracketed list as a list
        return [str(v) for v in value] if isinstance(value, list | tuple) else str(value)

    second = None if predictions2 is None else paths(predictions2)
    inputs = [p for v in (predictions, reference, predictions2 or []) for p in ([v] if isinstance(v, str) else v)]
    check_output(str(out), *map(str, inputs), file=False)
    report = evaluate_predictions(paths(predictions), paths(reference), second, out_dir=str(out))
    rmse = {q: report[q]["rmse"]["value"] for q in ("EDV", "ESV", "EF")}
    return (
        f"{report['n_subjects']} subjects: RMSE EDV {rmse['EDV']:.1f} ml, ESV {rmse['ESV']:.1f} ml, "
        f"EF {rmse['EF']:.1f} % -> {out}"
    )


def synthesize_masks(
    input: str,
    out: str,
    n: int,
    seed: int = 0,
    shard: str | None = None,
    workers: int = 1,
    thickness_mm: float | None = None,
    ef_distribution: str = "uniform",
) -> str:
    """Synthetic ED/ES label maps with EF on [10, 80] % (uniform by default): NIfTI pairs + manifest.csv in OUT.

    Args:
        input: studies with ED and ES label maps (e.g. the ACDC training folder).
        out: output folder (new, empty, or a previous run of the same parameters to finish).
        n: number of synthetic subjects of the whole cohort.
        seed: random seed; the cohort is a function of (input, n, seed).
        shard: ``I/K`` to make only subjects k = I mod K (shards are disjoint, their union the cohort).
        workers: processes.
        thickness_mm: slice thickness for Simpson's rule (default each source's slice spacing; the paper used 8).
        ef_distribution: ``uniform`` EF on [10, 80] % (default) or ``sources``: the INPUT subjects' EFs plus
            Gaussian jitter of SD 3 points (the paper's ablation of uniform against real-like EF)
    """
    from cardio_monai.synthesis.cohort import synthesize_cohort

    s = synthesize_cohort(
        str(input),
        str(out),
        n,
        seed=seed,
        shard=shard,
        workers=workers,
        thickness_mm=thickness_mm,
        ef_distribution=ef_distribution,
    )
    return (
        f"{s['subjects_in_manifest']} subjects -> {out}/manifest.csv; "
        f"plausibility fixes (slices): {s['plausibility_fixes_slices']}"
    )


def predict(
    input: str | None = None,
    out: str = "predictions.csv",
    readers: str = "sfera,seg",
    bundle: str | None = None,
    seg_bundle: str | None = None,
    save_masks: str | None = None,
    device: str = "cpu",
    skip_bad: bool = False,
    shard: str | None = None,
    workers: int = 0,
) -> str:
    """EDV, ESV (ml) and EF (%) with SDs from cine short-axis studies, by two independent readers.

    Args:
        input: any INPUT form (DICOM folder, NIfTI, ACDC, Sunnybrook, manifest); default: the shipped sample.
        out: predictions CSV ``subject, EDV_ml, ESV_ml, EF_pct, EDV_sd_ml, ESV_sd_ml, EF_sd_pct`` (the combined
            estimate), with both readers also ``sfera_*, seg_*, readers_agree``, and ``warning`` when a row has one.
        readers: ``sfera,seg`` (default), ``sfera`` (segmentation-free regression alone) or ``seg``.
        bundle: SFERA bundle folder (default: the package's cardiac_sfera_regression).
        seg_bundle: segmentation bundle folder (default: the package's cardiac_lv_segmentation).
        save_masks: folder for the segmenter's ED/ES label maps (NIfTI) and a contour PNG per study.
        device: ``cpu`` or ``cuda``.
        skip_bad: give a bad study a warning row instead of stopping.
        shard: ``I/K`` to read only studies k = I mod K of INPUT (a job array; join the CSVs with ``merge``).
        workers: processes reading studies ahead of the readers (0: none).
    """
    from cardio_monai.readers import predict_studies

    rows = predict_studies(
        None if input is None else str(input),
        str(out),
        readers,
        None if bundle is None else str(bundle),
        None if seg_bundle is None else str(seg_bundle),
        None if save_masks is None else str(save_masks),
        device,
        skip_bad=bool(skip_bad),
        shard=None if shard is None else str(shard),
        workers=workers,
    )
    lines = [f"{len(rows)} subjects -> {out}"]
    for r in rows[:5]:
        if r.get("EF_pct") is not None and r.get("EF_pct") != "":
            line = (
                f"  {r['subject']}: EDV {r['EDV_ml']:.0f} +- {r['EDV_sd_ml']:.0f} ml, ESV {r['ESV_ml']:.0f} +- "
                f"{r['ESV_sd_ml']:.0f} ml, EF {r['EF_pct']:.0f} +- {r['EF_sd_pct']:.0f} %"
            )
            if "readers_agree" in r:
                line += "; readers agree" if r["readers_agree"] else "; READERS DISAGREE"
            lines.append(line)
    return "\n".join(lines)


def merge(*predictions: str, out: str = "predictions.csv") -> str:
    """Join the predictions CSVs of a run's shards (``predict --shard I/K``) into one file.

    Args:
        predictions: the shards' CSVs, in the order their rows should come.
        out: the joined CSV (never one of the inputs).
    """
    from cardio_monai.readers import merge_predictions

    rows = merge_predictions([str(p) for p in predictions], str(out))
    return f"{len(rows)} subjects from {len(predictions)} files -> {out}"


def synthesize_images(
    mask_dir: str, out: str, bundle: str | None = None, device: str = "cpu", sources: str | None = None
) -> str:
    """Cine image stacks from a synthetic mask cohort with the GauGAN bundle: NIfTI pairs + manifest.csv in OUT.

    Args:
        mask_dir: a ``synthesize-masks`` output folder (its manifest.csv and label maps).
        out: output folder; subjects already there are kept (a rerun finishes a killed run).
        bundle: GauGAN bundle folder (default: bundles/cardiac_gaugan_synthesis of this repository).
        device: ``cpu`` or ``cuda``.
        sources: the real subjects the cohort was made from, for a background-preserving generator
            (default: the folder recorded in MASK_DIR/run.json).
    """
    from cardio_monai.synthesis.images import synthesize_images as run

    rows = run(str(mask_dir), str(out), None if bundle is None else str(bundle), device, sources=sources)
    return f"{len(rows)} subjects -> {out}/manifest.csv"


def finetune(
    manifest: str,
    out: str,
    bundle: str | None = None,
    epochs: int = 30,
    lr: float = 3e-4,
    holdout: float = 0.2,
    seed: int = 0,
    device: str = "cpu",
) -> str:
    """Adapt the SFERA bundle to a site's studies: writes a complete bundle to OUT for ``predict --bundle OUT``.

    Args:
        manifest: manifest CSV of the site's studies with label maps or only ``EDV_ml, ESV_ml`` (report volumes).
        out: new bundle folder (must not exist or be empty); written only when finetuning succeeded.
        bundle: SFERA bundle to start from (default: the shipped one).
        epochs: finetuning epochs.
        lr: learning rate (RAdam).
        holdout: fraction of the studies held back to measure the error before and after.
        seed: seed of the held-back draw and of training.
        device: ``cpu`` or ``cuda``.
    """
    from cardio_monai.io import check_output
    from cardio_monai.regression.site_finetune import finetune_bundle

    manifest, out = str(manifest), str(out)
    check_output(out, manifest, *([] if bundle is None else [str(bundle)]), file=False)
    try:
        report = finetune_bundle(manifest, out, bundle, int(epochs), float(lr), float(holdout), int(seed), device)
    except InputError:
        raise
    except ValueError as err:  # a flag out of range: the library names the parameter
        raise InputError("finetune", str(err)) from None
    ef, edv = report["rmse"]["EF"], report["rmse"]["EDV"]
    return (
        f"{len(report['train_subjects'])} studies finetuned, {len(report['holdout_subjects'])} held back: "
        f"EF RMSE {ef['before']:.1f} -> {ef['after']:.1f} %, EDV {edv['before']:.1f} -> {edv['after']:.1f} ml -> {out}"
    )


def monailabel_app() -> str:
    """The folder of the package's MONAI Label app, for ``monailabel start_server --app "$(python -m
    cardio_monai monailabel-app)" --studies DIR`` (install monailabel with scripts/setup_monailabel.sh)."""
    from cardio_monai.monailabel_app import app_dir

    return str(app_dir())


COMMANDS = {
    "volumes": volumes,
    "predict": predict,
    "merge": merge,
    "synthesize-masks": synthesize_masks,
    "synthesize-images": synthesize_images,
    "evaluate": evaluate,
    "finetune": finetune,
    "monailabel-app": monailabel_app,
}


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    warnings.formatwarning = _one_line_warning
    # the user acts on this package's warnings; those of torch, MONAI and pydicom are for developers
    warnings.filterwarnings("ignore")
    warnings.filterwarnings("default", module=r"cardio_monai(\.|$)")
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        check_arguments(COMMANDS, argv)
        result = fire.Fire(COMMANDS, command=argv, name="cardio_monai", serialize=lambda r: r)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ParameterError as exc:  # the library names its parameter; the user typed the flag
        print(f"error: --{exc.parameter.replace('_', '-')}: {exc.problem}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # MONAI engines and Compose wrap a transform's InputError
        cause = input_error_in(exc)
        if cause is None:
            raise
        print(f"error: {cause}", file=sys.stderr)
        return 2
    except OSError as exc:  # the system refused a read or a write (permissions, a full disk, a folder)
        print(f"error: {exc.filename or 'output'}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 2
    except fire.core.FireExit as exc:
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    del result  # fire has printed it
    return 0
