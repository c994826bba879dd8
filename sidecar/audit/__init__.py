"""Tamper-evident audit trail of authorisation decisions.

Each Check decision becomes one JSON line, sealed into an HMAC chain and fsync'd before the
response leaves the sidecar. See docs/audit.md for the format and how to verify a trail.
"""

from sidecar.audit.chain import GENESIS_MAC
from sidecar.audit.errors import AuditError, AuditKeyError, AuditRecoveryError, AuditWriteError
from sidecar.audit.keys import KEY_ENV_VAR, create_dev_key, load_audit_key
from sidecar.audit.pseudonym import Pseudonymiser
from sidecar.audit.record import OUTCOMES, build_record
from sidecar.audit.recovery import RecoveryReport
from sidecar.audit.trail import AuditTrail
from sidecar.audit.verify import VerifyResult, verify_paths
from sidecar.audit.verify_cli import add_verify_arguments, run_verify, verify_main
from sidecar.audit.writer import DEFAULT_MAX_FILE_BYTES

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "GENESIS_MAC",
    "KEY_ENV_VAR",
    "OUTCOMES",
    "AuditError",
    "AuditKeyError",
    "AuditRecoveryError",
    "AuditTrail",
    "AuditWriteError",
    "Pseudonymiser",
    "RecoveryReport",
    "VerifyResult",
    "add_verify_arguments",
    "build_record",
    "create_dev_key",
    "load_audit_key",
    "run_verify",
    "verify_main",
    "verify_paths",
]
