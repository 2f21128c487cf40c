"""Ledger feature module."""
