"""Exceptions raised by the audit trail."""


class AuditError(Exception):
    """Base class for audit trail errors."""


class AuditKeyError(AuditError):
    """The audit key is missing, unreadable or too weak."""


class AuditWriteError(AuditError):
    """A record could not be made durable; the decision must not be released."""


class AuditRecoveryError(AuditError):
    """The trail cannot be reopened safely without an operator looking at it."""
