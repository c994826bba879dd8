"""vir-sidecar: authorisation of victim information requests, backed by Open Policy Agent."""

__version__ = "0.1.0"
