"""Moved to sidecar.opa.supervisor; kept until bench/ imports the new home."""

from sidecar.opa.command import find_binary

__all__ = ["find_binary"]
