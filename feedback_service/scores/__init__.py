"""Scores: rollups, scoring and reports."""
