"""Privacy: PII redaction at intake and spreadsheet-safe CSV cells."""
