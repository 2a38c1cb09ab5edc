"""``python -m cardio_monai``."""

import sys

from cardio_monai.cli import main

if __name__ == "__main__":
    sys.exit(main())
