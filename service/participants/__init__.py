"""Participants feature module."""
