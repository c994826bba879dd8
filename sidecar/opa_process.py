"""Moved to sidecar.opa.supervisor; kept until bench/ imports the new home."""

from sidecar.opa.supervisor import find_binary

__all__ = ["find_binary"]
