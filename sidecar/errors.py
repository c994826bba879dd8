"""The sidecar's exception families.

Every error the sidecar raises on purpose belongs to one of two families, so a
caller handles a family, never a list of classes that a new error can miss:

    SidecarError
    ├── StartupError ·············· the sidecar cannot start; `serve` exits 1 with the message
    │   ├── ConfigError ··········· a setting has a value the sidecar cannot use (config)
    │   ├── ClearanceKeysError ···· the clearance-signing JWKS cannot be used (clearance_keys)
    │   ├── OpaStartError ········· no opa binary, or OPA did not serve the policy (opa.supervisor)
    │   ├── BundleError ··········· the policy bundle cannot be built or read (opa.bundle)
    │   ├── SettingsError ········· the settings cannot be read, or have problems (opa.settings)
    │   ├── AuditKeyError ········· the audit key is missing, unreadable or weak (audit.errors)
    │   └── AuditRecoveryError ···· the audit trail needs an operator (audit.errors)
    └── UnavailableError ·········· one check cannot be decided now: UNAVAILABLE, never an allow
        ├── EngineError ··········· OPA gave no usable decision (opa.engine)
        │   ├── EngineTimeout ····· OPA did not answer in time
        │   └── SettingsRefused ··· the policy finds problems in the settings OPA serves
        └── AuditWriteError ······· the audit record is not durable (audit.errors)

The concrete classes live beside the code that raises them; this module holds
only the bases, and imports nothing, so any module can use it.
"""

from __future__ import annotations


class SidecarError(Exception):
    """Base of every error the sidecar raises on purpose."""


class StartupError(SidecarError):
    """The sidecar cannot start with this configuration or environment."""


class UnavailableError(SidecarError):
    """A check cannot be decided now; the caller gets UNAVAILABLE and may retry."""
