"""Exceptions raised by the audit trail."""

from sidecar.errors import StartupError, UnavailableError


class AuditError(Exception):
    """Base class for audit trail errors."""


class AuditKeyError(AuditError, StartupError):
    """The audit key is missing, unreadable or too weak."""


class AuditWriteError(AuditError, UnavailableError):
    """A record could not be made durable; the decision must not be released."""


class AuditRecoveryError(AuditError, StartupError):
    """The trail cannot be reopened safely without an operator looking at it."""
