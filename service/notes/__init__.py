"""Notes feature module."""
