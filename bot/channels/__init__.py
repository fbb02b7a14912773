"""Thin channels: translate platform input to Incoming and Reply to platform output; no decisions."""
