"""Column names of the CSV files the package reads and writes (plain comma-separated with a header).

Volumes in ml, EF in %; SDs are predictive standard deviations in the same units.
"""

from __future__ import annotations

SUBJECT = "subject"
WARNING = "warning"  # written only when some row has one
GROUP = "group"
SOURCE_SUBJECT = "source_subject"  # the real subject a synthetic one was made from

# ``volumes`` output; the volume columns every table of volumes shares.
VOLUME_COLUMNS = (SUBJECT, "EDV_ml", "ESV_ml", "EF_pct")
# Reference volumes with the group of a stratified split (evaluation reads it).
REFERENCE_COLUMNS = (*VOLUME_COLUMNS, GROUP)
# ``predict`` output (+ ``warning``).
PREDICTION_COLUMNS = (*VOLUME_COLUMNS, "EDV_sd_ml", "ESV_sd_ml", "EF_sd_pct")
# ``predict`` with both readers: each reader's own numbers and whether they agree (the combined estimate
# stays in PREDICTION_COLUMNS).
READERS_AGREE = "readers_agree"
READER_COLUMNS = (*(f"{r}_{c}" for r in ("sfera", "seg") for c in VOLUME_COLUMNS[1:]), READERS_AGREE)
# What a synthetic subject is: its source and the operation that made it, and its volumes.
_SYNTHETIC = (SUBJECT, SOURCE_SUBJECT, "operation", "EDV_ml", "ESV_ml", "EF_pct")
# ``synthesize-masks`` manifest: the label-map files (relative to the manifest's folder).
MASK_MANIFEST_COLUMNS = (*_SYNTHETIC, "ed_path", "es_path")
# ``synthesize-images`` manifest, in the form ``cardio_monai.io.manifest`` reads.
IMAGE_MANIFEST_COLUMNS = (*_SYNTHETIC, "ed_image_path", "es_image_path", "ed_label_path", "es_label_path")
