"""Who a participant is to the ledger: its role, its identity record on chain, and compliance reasons.

Staff (administrators, compliance agents, oracles) act through the service's own role accounts and hold
nothing, so they have no identity record. Every other participant has one in the participant registry
(verified or not, KYC expiry, ISO 3166-1 alpha-2 country, role code): the note and every payment contract
read it, and an expired KYC stops a participant exactly as a revoked verification does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from service.errors import InvalidRequest


class ParticipantRole(StrEnum):
    ADMIN = "admin"  # registers participants, runs settlement, pauses the ledger
    COMPLIANCE_AGENT = "compliance_agent"  # identities, freezes, forced transfers, recovery, caps, limits
    ORACLE = "oracle"  # FX answers and logistics milestones
    OBLIGOR = "obligor"  # the core enterprise that owes: issues vouchers, pays them
    SUPPLIER = "supplier"  # holds, splits, passes on and sells pieces
    FINANCIER = "financier"  # publishes terms, buys pieces by signed quote
    INVESTOR = "investor"  # buys yield tokens of offerings


STAFF_ROLES = frozenset({ParticipantRole.ADMIN, ParticipantRole.COMPLIANCE_AGENT, ParticipantRole.ORACLE})
# The registry's role codes (IIdentityRegistry); 5 is a platform contract (an offering vault).
REGISTRY_ROLE_CODES = {
    ParticipantRole.OBLIGOR: 1,
    ParticipantRole.SUPPLIER: 2,
    ParticipantRole.FINANCIER: 3,
    ParticipantRole.INVESTOR: 4,
}
PLATFORM_ROLE_CODE = 5


def is_staff(role: str) -> bool:
    return role in STAFF_ROLES


def registry_role_code(role: str) -> int:
    """The registry's code of a ledger role; staff have none."""
    code = REGISTRY_ROLE_CODES.get(ParticipantRole(role))
    if code is None:
        raise InvalidRequest(f"a {role} has no identity on chain", role=role)
    return code


class ComplianceReason(StrEnum):
    """Why a compliance agent acted: recorded on chain with every identity change and control (a bytes32
    of these ASCII words), so the audit trail reads without the service's database."""

    ONBOARDING = "onboarding"
    KYC_RENEWED = "kyc_renewed"
    KYC_REVOKED = "kyc_revoked"
    DETAILS_CORRECTED = "details_corrected"
    SANCTIONS = "sanctions"
    COURT_ORDER = "court_order"
    REGULATOR_REQUEST = "regulator_request"
    SUSPICIOUS_ACTIVITY = "suspicious_activity"
    LOST_KEY = "lost_key"
    DISPUTE = "dispute"
    POLICY = "policy"
    ERROR_CORRECTION = "error_correction"


def encode_reason(reason: ComplianceReason) -> bytes:
    """The reason as the contracts record it: its ASCII word, right-padded with zero bytes."""
    return reason.value.encode("ascii").ljust(32, b"\0")


def decode_reason(raw: bytes | str) -> str:
    """A recorded reason back to its word (hex as events decode it, or bytes)."""
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) else raw
    return data.rstrip(b"\0").decode("ascii", errors="replace")


def compute_kyc_expires_at(expires_on: date) -> datetime:
    """A KYC check lapses at 00:00 UTC of its expiry date (valid through the day before)."""
    return datetime.combine(expires_on, time(0, 0), tzinfo=UTC)


def compute_default_kyc_expiry(now: datetime, validity_days: int) -> date:
    """A registration that names no expiry: the KYC check is good for `validity_days` from today."""
    return (now + timedelta(days=validity_days)).date()


def is_kyc_expired(kyc_expires_at: datetime | None, now: datetime) -> bool:
    """As the registry judges it: expired once the ledger's clock reaches the expiry. Stored times are
    UTC (a database without time zones returns them naive)."""
    if kyc_expires_at is None:
        return False
    return now >= (kyc_expires_at if kyc_expires_at.tzinfo else kyc_expires_at.replace(tzinfo=UTC))


def encode_country(country: str) -> bytes:
    return country.encode("ascii")


def decode_country(raw: bytes | str) -> str | None:
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) else raw
    text = data.rstrip(b"\0").decode("ascii", errors="replace")
    return text or None
