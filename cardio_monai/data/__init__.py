"""Data shipped with the package: a small sample derived from one Sunnybrook subject (CC0)."""

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_sunnybrook"
"""Sunnybrook-layout root holding the ED and ES frames of SC-HF-I-1 with their contours."""
