"""Cash feature module."""
