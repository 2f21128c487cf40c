"""Persistence: the index of the chain plus the ledger's off-chain records."""
