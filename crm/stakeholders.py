"""The stakeholder types and their labels: plain Python, cheap to import (``kindred-cli --help``
names them without loading SQLAlchemy); ``crm.models`` re-exports both."""

from __future__ import annotations

import enum


class StakeholderType(enum.StrEnum):
    MSP = "msp"
    MS = "ms"
    MP = "mp"
    COUNCILLOR = "councillor"
    OFFICIAL = "official"
    PARTNER_CONTACT = "partner_contact"
    NETWORK_MEMBER = "network_member"
    FUNDER = "funder"
    MEDIA = "media"
    ACADEMIC = "academic"
    OTHER = "other"

    @property
    def label(self) -> str:
        return STAKEHOLDER_LABELS[self]


STAKEHOLDER_LABELS: dict[StakeholderType, str] = {
    StakeholderType.MSP: "MSP",
    StakeholderType.MS: "MS (Senedd)",
    StakeholderType.MP: "MP",
    StakeholderType.COUNCILLOR: "Councillor",
    StakeholderType.OFFICIAL: "Official",
    StakeholderType.PARTNER_CONTACT: "Partner contact",
    StakeholderType.NETWORK_MEMBER: "Network member",
    StakeholderType.FUNDER: "Funder",
    StakeholderType.MEDIA: "Media",
    StakeholderType.ACADEMIC: "Academic",
    StakeholderType.OTHER: "Other",
}
