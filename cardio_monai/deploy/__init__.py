"""A MONAI Deploy application: EDV, ESV and EF of the left ventricle from a folder of DICOM files,
written as a DICOM Comprehensive SR (TID 1500) and a one-page PDF report.

``python -m cardio_monai.deploy -i DICOM_DIR -o OUT_DIR [-m BUNDLES_DIR]`` (the App SDK's conventions).
The MONAI Deploy App SDK (``pip install "cardio-monai[deploy]"``) is imported only by
:mod:`cardio_monai.deploy.app` and :mod:`cardio_monai.deploy.operators`; the steps themselves
(:mod:`~cardio_monai.deploy.cine`, :mod:`~cardio_monai.deploy.measure`, :mod:`~cardio_monai.deploy.sr`,
:mod:`~cardio_monai.deploy.report`) are plain functions on pydicom datasets and records.
"""

SR_SUFFIX = "_lv_function_sr.dcm"
"""The SR's file name in OUT_DIR: ``<PatientID><SR_SUFFIX>`` (the id made a plain file name)."""
PDF_SUFFIX = "_lv_function_report.pdf"
"""The PDF report's file name in OUT_DIR: ``<PatientID><PDF_SUFFIX>``."""
