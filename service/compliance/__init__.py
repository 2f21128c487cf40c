"""Compliance controls: freezes, forced transfers, recovery, caps, rolling limits, pauses and the dry run."""
