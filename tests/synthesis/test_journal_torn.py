"""A journal whose last line was torn by a kill: the next row starts on a line of its own."""

from __future__ import annotations

import csv

from cardio_monai.synthesis.cohort_journal import JOURNAL_DIR, journal_record, open_journal


def test_torn_last_line_is_cut_before_appending(tmp_path):
    path = tmp_path / JOURNAL_DIR / "shard-0-of-1.csv"
    path.parent.mkdir()
    path.write_text("0,complete,row\n1,torn-half")
    with open_journal(path) as fh:
        csv.writer(fh).writerow(["2", "next"])
    assert path.read_text().splitlines() == ["0,complete,row", "2,next"]


def test_journal_record_keeps_floats_exact():
    from cardio_monai.synthesis.cohort_journal import JOURNAL_FIELDS

    row = {k: 0 for k in JOURNAL_FIELDS} | {"EF_pct": 0.1 + 0.2}
    assert float(journal_record(row)[JOURNAL_FIELDS.index("EF_pct")]) == 0.1 + 0.2
