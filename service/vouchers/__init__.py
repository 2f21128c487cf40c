"""Vouchers feature module."""
