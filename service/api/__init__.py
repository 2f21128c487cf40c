"""HTTP plumbing shared by the feature modules: auth, sessions, idempotency, error rendering."""
