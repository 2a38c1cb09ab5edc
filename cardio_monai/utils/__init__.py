"""Small shared helpers: atomic file output and progress bars."""

from cardio_monai.utils.checkpoint import RandomState, resume_path
from cardio_monai.utils.files import atomic_path, write_csv
from cardio_monai.utils.progress import progress

__all__ = ["RandomState", "atomic_path", "progress", "resume_path", "write_csv"]
