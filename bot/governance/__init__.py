"""Governance: dry run, the kill switch, caps, the audit log, retention and erasure."""
