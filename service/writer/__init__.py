"""The chain writer: the one process that signs, relays, journals and indexes."""
