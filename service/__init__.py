"""Cascade: a tokenised-receivables ledger."""
