"""Settlement feature module."""
