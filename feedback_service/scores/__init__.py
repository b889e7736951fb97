"""Scores: rollups, scoring (pure), reports by concern, targets and their HTTP layer."""
