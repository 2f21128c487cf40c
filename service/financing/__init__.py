"""Financing feature module."""
