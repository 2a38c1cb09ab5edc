"""Link the training subjects of one outer fold (the stratified 5-fold split that every CV here uses) into a
folder of their own, so that an inner split can be drawn from them; the fold's test subjects are never linked.
Writes OUT/.done (the count) last, so a killed run is redone.

    python scripts/link_outer_train.py DATA_DIR OUT_DIR [FOLD]
"""

import sys
from pathlib import Path

from cardio_monai.data import link_studies, split_datalist, study_datalist


def main(data: str, out: str, fold: int = 0) -> None:
    train, _ = split_datalist(study_datalist(data), fold, 5, 0)
    n = link_studies(train, out)
    (Path(out) / ".done").write_text(f"{n} subjects of fold {fold}'s training part\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4]))
