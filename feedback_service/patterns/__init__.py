"""Complaint patterns per representative and recurring product gaps, wired up.

The arithmetic is pure (``agents``, ``csat``, ``explain``, ``themes``,
``theme_names``, ``gaps``, ``trend``); ``loading`` reads their inputs from the
database; ``service`` and ``compute`` create runs, compute them in workers or
on demand and store each with the data range it covers; ``routes`` serves the
latest matching run through ``/api/v1/reports/complaint-patterns`` and
``/api/v1/reports/product-gaps``.
"""
