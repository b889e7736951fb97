"""Complaint patterns per representative and recurring product gaps, wired up.

The arithmetic lives in ``analysis/patterns.py`` and ``analysis/themes.py``
(pure); this feature loads their inputs from the database, runs them in
workers or on demand, stores each run with the data range it covers, and
serves the latest matching run through ``/api/v1/reports/complaint-patterns``
and ``/api/v1/reports/product-gaps``.
"""
