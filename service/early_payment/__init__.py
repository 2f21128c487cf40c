"""Early_payment feature module."""
