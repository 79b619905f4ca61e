"""Kindred's data model: typed SQLAlchemy 2 declarative models.

Conventions:
- Every table has an integer ``id`` primary key.
- Records people see in lists (people, organisations, networks, interactions, events) carry
  ``deleted_at``: an ordinary delete moves them to the Trash, restore clears it.
- ``Person.search_text`` holds an accent-free, lower-case digest of what people search by; on
  SQLite an FTS5 index (``person_fts``) is kept in step with it by triggers (see the migration).
- Constraint names follow one naming convention so that Alembic batch migrations work on SQLite.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The stakeholder vocabulary lives in a module of its own so the command line's help can name it
# without loading the models; re-exported here, where the rest of Kindred looks for it.
from crm.stakeholders import STAKEHOLDER_LABELS as STAKEHOLDER_LABELS
from crm.stakeholders import StakeholderType as StakeholderType

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, typed (``Model.__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- Vocabularies -------------------------------------------------------------------------------
# Stored as plain strings (portable, and new values need no migration); the enums give the UI and
# the importer the known values and their labels.


NATIONS = ("England", "Scotland", "Wales", "Northern Ireland", "Outside the UK")

CHAMBERS = ("Scottish Parliament", "Senedd", "House of Commons", "House of Lords", "Local council")

SECTORS = ("Public sector", "Government", "Third sector", "Private sector", "Academic", "Funder", "Media")

PARTNER_STATUSES = ("Partner", "Prospective partner", "Former partner", "Not a partner")

MEMBERSHIP_ROLES = ("member", "champion", "lead", "co-chair", "chair", "facilitator", "observer")

MEMBERSHIP_STATUSES = ("active", "invited", "paused", "left")


class InteractionKind(enum.StrEnum):
    MEETING = "meeting"
    EVENT = "event"
    CALL = "call"
    EMAIL = "email"
    LETTER = "letter"
    OTHER = "other"


class EventPartKind(enum.StrEnum):
    """The parts an event is divided into, where people are placed."""

    STATION = "station"
    WORKSHOP = "workshop"
    BREAKOUT = "breakout room"


class AttendanceStatus(enum.StrEnum):
    INVITED = "invited"
    REGISTERED = "registered"
    ATTENDED = "attended"
    APOLOGIES = "apologies"
    NO_SHOW = "no_show"


CONSENT_PURPOSES = ("newsletter", "events", "programme updates", "research")

LAWFUL_BASES = ("consent", "legitimate interests", "public task", "contract")


# --- Mixins -------------------------------------------------------------------------------------


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Versioned:
    # Raised by one on every change (services, bulk actions, imports): a save based on an older
    # copy is refused (see crm.versions) instead of silently undoing someone else's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Trashable:
    # Deliberately not indexed: "not deleted" matches nearly every row, and an index on it lures
    # SQLite's planner away from the sort index; the Trash is small and fine with a scan.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


# --- Organisations ------------------------------------------------------------------------------


class Organisation(Timestamps, Trashable, Versioned, Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # Lower-case name without punctuation, "the" or "ltd": the key organisations are matched on.
    name_key: Mapped[str] = mapped_column(String(300), index=True)
    sector: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    nation: Mapped[str | None] = mapped_column(String(50))
    partner_status: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(300))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))

    people: Mapped[list[Person]] = relationship(back_populates="organisation")
    channels: Mapped[list[ContactPoint]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="ContactPoint.id"
    )


# --- People -------------------------------------------------------------------------------------


class Person(Timestamps, Trashable, Versioned, Base):
    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_email_lower", func.lower("email")),
        # Covers the default list order and the Trash test, so the list reads in order from it.
        Index("ix_person_sort", "sort_name", "id", "deleted_at"),
        # The dashboard's "share an email or name" check groups people by these, reading the index
        # alone (revision 0008). Not partial indexes on "not in the Trash": SQLite would then walk
        # one of them for every query that skips the Trash, and fetch each row from the table.
        Index("ix_person_email_deleted", "email", "deleted_at"),
        Index("ix_person_name_postcode", "sort_name", "postcode", "deleted_at"),
        # Partial indexes of the people failing a data-quality check (revision 0008 writes their
        # WHERE clauses from crm.filters' conditions, which this module cannot import), and the
        # dates the retention-review check reads.
        Index("ix_person_no_address", "deleted_at"),
        Index("ix_person_invalid_postcode", "deleted_at"),
        Index("ix_person_invalid_phone", "deleted_at"),
        Index("ix_person_retention", "created_at", "updated_at", "last_contacted", "deleted_at"),
        # Only the people in the Trash (revision 0015): leaving them out reads their few entries.
        # Queries of the people not in the Trash cannot use it, so it changes none of their plans.
        Index(
            "ix_person_in_trash",
            "deleted_at",
            sqlite_where=text("deleted_at IS NOT NULL"),
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None] = mapped_column(String(50))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    post_nominals: Mapped[str | None] = mapped_column(String(100))
    pronouns: Mapped[str | None] = mapped_column(String(50))
    job_title: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    mobile: Mapped[str | None] = mapped_column(String(50))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    address_line3: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    nation: Mapped[str | None] = mapped_column(String(50), index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(300))
    # Communication preferences. Do-not-contact is absolute (an objection under PECR).
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    email_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    post_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Denormalised for fast lists and the "last contacted" filter; kept by the interaction service.
    last_contacted: Mapped[dt.date | None] = mapped_column(Date, index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Folded "surname forename": the list's name order (see crm.text.sort_key).
    sort_name: Mapped[str] = mapped_column(String(300), default="")
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batch.id", ondelete="SET NULL"), index=True
    )

    organisation: Mapped[Organisation | None] = relationship(back_populates="people")
    channels: Mapped[list[ContactPoint]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="ContactPoint.id"
    )
    types: Mapped[list[PersonType]] = relationship(back_populates="person", cascade="all, delete-orphan")
    elected_roles: Mapped[list[ElectedRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="ElectedRole.start_date"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    person_tags: Mapped[list[PersonTag]] = relationship(back_populates="person", cascade="all, delete-orphan")
    consents: Mapped[list[Consent]] = relationship(back_populates="person", cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        """Name as shown in lists: "First Last", falling back to what there is."""
        first = self.preferred_name or self.first_name
        name = " ".join(p for p in (first, self.last_name) if p)
        return name or self.email or f"Person {self.id}"


class ChannelKind(enum.StrEnum):
    """The ways of reaching someone; each has at most one preferred contact point per owner."""

    EMAIL = "email"
    PHONE = "phone"
    MOBILE = "mobile"
    ADDRESS = "address"

    @property
    def label(self) -> str:
        return {"email": "Email", "phone": "Phone", "mobile": "Mobile", "address": "Postal address"}[
            self.value
        ]


# Labels offered for contact points; any other short label may be typed.
CHANNEL_LABELS: tuple[str, ...] = (
    "Work",
    "Personal",
    "Home",
    "Constituency office",
    "Parliament office",
    "Other",
)

# The address parts of a postal-address contact point, in the order they are written.
ADDRESS_PARTS: tuple[str, ...] = (
    "address_line1",
    "address_line2",
    "address_line3",
    "town",
    "postcode",
    "country",
)


class ContactPoint(Timestamps, Base):
    """One labelled email, phone, mobile or postal address of a person or an organisation.

    Revision 0012. Every channel lives here; the owner's own columns (``Person.email``, ``phone``,
    ``mobile``, ``address_*``, and the organisation's) mirror the preferred one of each kind, kept in
    step by :mod:`crm.services.channels`, so filters, lists, exports and reports read one column.
    """

    __tablename__ = "contact_point"
    __table_args__ = (
        Index("ix_contact_point_value_lower", func.lower("value")),
        Index("ix_contact_point_person", "person_id", "kind"),
        Index("ix_contact_point_organisation", "organisation_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(50))
    # The address or number for emails, phones and mobiles; empty for postal addresses.
    value: Mapped[str | None] = mapped_column(String(320))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    address_line3: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batch.id", ondelete="SET NULL"), index=True
    )

    person: Mapped[Person | None] = relationship(back_populates="channels")
    organisation: Mapped[Organisation | None] = relationship(back_populates="channels")


class PersonType(Base):
    """A stakeholder type of a person (a person may have several)."""

    __tablename__ = "person_type"
    __table_args__ = (
        UniqueConstraint("person_id", "type", name="uq_person_type_person_id_type"),
        Index("ix_person_type_type_person", "type", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the unique constraint, which starts with person_id (revision 0013).
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(50))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="types")


class ElectedRole(Versioned, Base):
    """A seat or office held; ``end_date`` set once it ended, so history stays after an election."""

    __tablename__ = "elected_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    chamber: Mapped[str] = mapped_column(String(100), index=True)
    party: Mapped[str | None] = mapped_column(String(100), index=True)
    constituency: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="elected_roles")

    @property
    def is_current(self) -> bool:
        """Not ended: the end date is the day the seat was lost or given up (see crm.roster.current)."""
        return self.end_date is None or self.end_date > dt.date.today()


class PersonIdentifier(Base):
    """An identifier a person has elsewhere (source + id): EveryPolitician, Parliament, Wikidata.

    A roster refresh matches people by these before anything else, so a member keeps one record
    through name changes and new email addresses. One external id belongs to one person.
    """

    __tablename__ = "person_identifier"
    __table_args__ = (
        UniqueConstraint("source", "identifier", name="uq_person_identifier_source_identifier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(50))
    identifier: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))


# --- Networks -----------------------------------------------------------------------------------


class Network(Timestamps, Trashable, Base):
    __tablename__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(back_populates="network")


class Membership(Timestamps, Base):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("person_id", "network_id", name="uq_membership_person_id_network_id"),
        Index("ix_membership_network_person", "network_id", "person_id"),
        # Members over time: the dashboard groups memberships by these, from the index alone (0008).
        Index("ix_membership_network_dates", "network_id", "status", "joined_on", "left_on", "person_id"),
        # A cohort's current members from the index alone (0010).
        Index("ix_membership_cohort_person", "cohort_id", "status", "left_on", "person_id"),
        # Current members in person order from the index alone: the dashboard's split by nation
        # and sector looks their people up front to back (0015).
        Index("ix_membership_person_dates", "person_id", "network_id", "status", "joined_on", "left_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the unique constraint, which starts with person_id (revision 0013).
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(50), default="member")
    status: Mapped[str] = mapped_column(String(50), default="active")
    joined_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    # The cohort of the latest period (0010); NULL for networks without cohorts.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("network_cohort.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="memberships")
    network: Mapped[Network] = relationship(back_populates="memberships")


class NetworkCohort(Timestamps, Base):
    """A cohort of a network ("KLN 2019–20"), with its start and end dates."""

    __tablename__ = "network_cohort"
    __table_args__ = (UniqueConstraint("network_id", "name", name="uq_network_cohort_network_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))


GROUP_KINDS = ("working group", "regional hub", "group")


class NetworkGroup(Timestamps, Base):
    """A group within a network: a working group, a regional hub, …"""

    __tablename__ = "network_group"
    __table_args__ = (UniqueConstraint("network_id", "name", name="uq_network_group_network_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50), default="working group")
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))


class MembershipPeriod(Base):
    """One period of a membership: joined, and (once they leave) left, with the reasons.

    The membership row holds the latest period; these keep every one, so leaving and rejoining
    never overwrite the history. A period with no ``left_on`` is open.
    """

    __tablename__ = "membership_period"
    __table_args__ = (
        Index("ix_membership_period_membership_joined", "membership_id", "joined_on"),
        Index("ix_membership_period_cohort_membership", "cohort_id", "membership_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id", ondelete="CASCADE"))
    joined_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    join_reason: Mapped[str | None] = mapped_column(Text)
    leave_reason: Mapped[str | None] = mapped_column(Text)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("network_cohort.id", ondelete="SET NULL"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MembershipGroup(Base):
    """A membership's place in one of its network's groups, with a role there."""

    __tablename__ = "membership_group"
    __table_args__ = (
        UniqueConstraint("membership_id", "group_id", name="uq_membership_group_membership_id_group_id"),
        # Group filters walk a group's memberships from this index.
        Index("ix_membership_group_group_membership", "group_id", "membership_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("network_group.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(50), default="member")
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))


# --- Tags ---------------------------------------------------------------------------------------


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class PersonTag(Base):
    __tablename__ = "person_tag"
    __table_args__ = (
        UniqueConstraint("person_id", "tag_id", name="uq_person_tag_person_id_tag_id"),
        # Filters select people by tag: the index answers without touching the table.
        Index("ix_person_tag_tag_person", "tag_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the unique constraint, which starts with person_id (revision 0013).
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="person_tags")
    tag: Mapped[Tag] = relationship()


# --- Consent and suppression --------------------------------------------------------------------


class Consent(Base):
    """Consent or lawful basis for one purpose: who, when, how, and what they were told."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(100), index=True)
    basis: Mapped[str] = mapped_column(String(50), default="consent")
    granted: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(300))
    wording: Mapped[str | None] = mapped_column(Text)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(back_populates="consents")


class Suppression(Base):
    """An objection that outlives the person's record: a re-import cannot put them back on a list.

    An erased person's address is kept only as ``email_hash`` (a keyed hash, see
    :mod:`crm.privacy.suppression`), with ``email`` empty.
    """

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Interactions and events --------------------------------------------------------------------


class Interaction(Timestamps, Trashable, Versioned, Base):
    __tablename__ = "interaction"
    __table_args__ = (
        # Interactions per month count index entries, never rows (revision 0008).
        Index("ix_interaction_date_deleted", "date", "deleted_at"),
        # Follow-ups by owner, from the index alone (revision 0008).
        Index("ix_interaction_follow_ups", "follow_up_on", "follow_up_done", "deleted_at", "owner"),
        # Open and done follow-ups counted by owner in one pass in owner order, no sort; only the
        # interactions with a follow-up are in it (revision 0014).
        Index(
            "ix_interaction_follow_ups_owner",
            "owner",
            "follow_up_on",
            "follow_up_done",
            "deleted_at",
            sqlite_where=text("follow_up_on IS NOT NULL AND deleted_at IS NULL"),
            postgresql_where=text("follow_up_on IS NOT NULL AND deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(30), default=InteractionKind.MEETING.value)
    subject: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    # The readable mirror of the managed topics (``interaction_topic``, revision 0011), in the
    # order typed: search, exports and the subject access workbook read it.
    topics: Mapped[str | None] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(100))  # staff member responsible
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    follow_up_done: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    # Correspondence (revision 0007): "in" or "out" for emails and letters; the Message-ID of a
    # logged email, so the same message is never logged twice; the letters or emails batch that
    # logged it, so a batch can be undone.
    direction: Mapped[str | None] = mapped_column(String(3))
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    correspondence_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("correspondence_batch.id", ondelete="SET NULL"), index=True
    )

    participants: Mapped[list[InteractionPerson]] = relationship(
        back_populates="interaction", cascade="all, delete-orphan"
    )
    organisations: Mapped[list[InteractionOrganisation]] = relationship(
        back_populates="interaction", cascade="all, delete-orphan"
    )


class InteractionPerson(Base):
    __tablename__ = "interaction_person"
    __table_args__ = (
        UniqueConstraint(
            "interaction_id", "person_id", name="uq_interaction_person_interaction_id_person_id"
        ),
        # A person's interactions without reading the link rows (revision 0008).
        Index("ix_interaction_person_person_interaction", "person_id", "interaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)

    interaction: Mapped[Interaction] = relationship(back_populates="participants")
    person: Mapped[Person] = relationship()


class Topic(Timestamps, Base):
    """A managed topic ("food poverty"): one row however it was spelt (revision 0011).

    ``key`` is the folded spelling (:func:`crm.services.topics.fold_topic`), so "Food Poverty" and
    "food-poverty." are the same topic. A topic merged into another keeps its row with
    ``merged_into_id`` set: its spelling then leads to the other one, and the merge can be undone.
    """

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), unique=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic.id", ondelete="SET NULL"), index=True, default=None
    )


class InteractionTopic(Base):
    """An interaction's topic, in the order typed (``position``)."""

    __tablename__ = "interaction_topic"
    __table_args__ = (
        UniqueConstraint("interaction_id", "topic_id", name="uq_interaction_topic_interaction_id_topic_id"),
        # Interactions of a topic, and its count, from the index alone.
        Index("ix_interaction_topic_topic_interaction", "topic_id", "interaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class InteractionOrganisation(Base):
    __tablename__ = "interaction_organisation"
    __table_args__ = (
        UniqueConstraint(
            "interaction_id", "organisation_id", name="uq_interaction_organisation_interaction_id_org_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )

    interaction: Mapped[Interaction] = relationship(back_populates="organisations")
    organisation: Mapped[Organisation] = relationship()


class Event(Timestamps, Trashable, Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="SET NULL"))

    attendances: Mapped[list[Attendance]] = relationship(back_populates="event", cascade="all, delete-orphan")
    parts: Mapped[list[EventPart]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventPart.position"
    )


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("event_id", "person_id", name="uq_attendance_event_id_person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(30), default=AttendanceStatus.INVITED.value)
    notes: Mapped[str | None] = mapped_column(Text)  # e.g. which conversation station

    event: Mapped[Event] = relationship(back_populates="attendances")
    person: Mapped[Person] = relationship()


class EventPart(Timestamps, Trashable, Base):
    """A station, workshop or breakout room of an event (revision 0009).

    Removing a part marks it ``deleted_at`` (with its placements kept), so it can be put back.
    """

    __tablename__ = "event_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default=EventPartKind.STATION.value)
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(300))
    host: Mapped[str | None] = mapped_column(String(300))  # who ran it, as typed
    notes: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="parts")


class AttendancePart(Base):
    """A person placed at a part of an event, with what they said there (revision 0009).

    Keyed by person rather than by attendance row, so a merge moves it like any other person link;
    the services place only people who are on the event's list.
    """

    __tablename__ = "attendance_part"
    __table_args__ = (
        UniqueConstraint("part_id", "person_id", name="uq_attendance_part_part_id_person_id"),
        Index("ix_attendance_part_person_part", "person_id", "part_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("event_part.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    notes: Mapped[str | None] = mapped_column(Text)


# --- Saved views, imports, audit ----------------------------------------------------------------


class SavedView(Timestamps, Base):
    """A named filter shown in the sidebar and usable by exports."""

    __tablename__ = "saved_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    filter_json: Mapped[dict[str, Any]] = mapped_column(JSON)


class ImportBatch(Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    user: Mapped[str | None] = mapped_column(String(100))
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CorrespondenceBatch(Base):
    """Letters made or emails logged in one action: what "undo" takes back together.

    ``previous_contacted`` keeps, per person id, the ``last_contacted`` the batch moved forward, so
    undoing it puts the date back.
    """

    __tablename__ = "correspondence_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # letters, labels or emails
    name: Mapped[str] = mapped_column(String(500))  # the template's or first message's file name
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str | None] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=0)
    previous_contacted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One change: who, when, which record, which field, old value and new value.

    ``action`` is one of create, update, delete (to Trash), restore, erase, import, export, undo,
    link and unlink. Values are stored as text (JSON for non-strings) so history reads the same on
    every database.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(100))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batch.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[str | None] = mapped_column(Text)


# --- Duplicates and merges ----------------------------------------------------------------------


class MergeRecord(Base):
    """One merge: which record was kept, which were folded into it, and what undo needs.

    ``details`` holds the kept record's fields before, every link moved, removed or changed, and
    what was added, so that undo restores every record exactly; ``moved`` counts links by kind.
    """

    __tablename__ = "merge_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))  # person or organisation
    kept_id: Mapped[int] = mapped_column(Integer, index=True)
    merged_ids: Mapped[list[int]] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str | None] = mapped_column(String(100))
    moved: Mapped[dict[str, int]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MergedRecord(Base):
    """A person or organisation folded into another: out of every list and out of the Trash, kept
    (never deleted) so that the merge can be undone."""

    __tablename__ = "merged_record"
    __table_args__ = (Index("ix_merged_record_entity_record", "entity", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("merge_record.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)


class NotDuplicate(Base):
    """Two records someone marked "not the same": the finder never suggests the pair again."""

    __tablename__ = "not_duplicate"
    __table_args__ = (UniqueConstraint("entity", "a_id", "b_id", name="uq_not_duplicate_entity_a_id_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    a_id: Mapped[int] = mapped_column(Integer)  # the smaller id
    b_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str | None] = mapped_column(String(100))


class OrganisationAlias(Base):
    """Another name of an organisation (the name of one merged into it): imports match it too."""

    __tablename__ = "organisation_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), index=True)
    merge_id: Mapped[int | None] = mapped_column(ForeignKey("merge_record.id", ondelete="SET NULL"))


# --- Data protection ----------------------------------------------------------------------------


class Setting(Base):
    """A value shared by everyone using the database (retention period, the suppression key)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ExportLog(Base):
    """One export: who, when, which people (the filter), how many, and the file's name."""

    __tablename__ = "export_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(500))
    preset: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(20))
    filter: Mapped[str | None] = mapped_column(Text)
    exported: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[int] = mapped_column(Integer, default=0)
    rules_ignored_reason: Mapped[str | None] = mapped_column(Text)


class ExportPerson(Base):
    """A person on an export (``included``) or on its Excluded sheet."""

    __tablename__ = "export_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("export_log.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    included: Mapped[bool] = mapped_column(Boolean, default=True)


class RetentionReview(Base):
    """A "Keep for another period" decision on the retention review."""

    __tablename__ = "retention_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kept_on: Mapped[dt.date] = mapped_column(Date)
    user: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


# Fields of Person that the services, import and export treat as plain editable values.
PERSON_FIELDS: tuple[str, ...] = (
    "title",
    "first_name",
    "last_name",
    "preferred_name",
    "post_nominals",
    "pronouns",
    "job_title",
    "email",
    "phone",
    "mobile",
    "address_line1",
    "address_line2",
    "address_line3",
    "town",
    "postcode",
    "country",
    "nation",
    "region",
    "notes",
    "source",
    "do_not_contact",
    "email_opt_out",
    "post_opt_out",
)

PERSON_FIELD_LABELS: dict[str, str] = {
    "title": "Title",
    "first_name": "First name",
    "last_name": "Last name",
    "preferred_name": "Preferred name",
    "post_nominals": "Post-nominals",
    "pronouns": "Pronouns",
    "job_title": "Job title",
    "email": "Email",
    "phone": "Phone",
    "mobile": "Mobile",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "address_line3": "Address line 3",
    "town": "Town",
    "postcode": "Postcode",
    "country": "Country",
    "nation": "Nation",
    "region": "Region",
    "notes": "Notes",
    "source": "Source",
    "do_not_contact": "Do not contact",
    "email_opt_out": "No email",
    "post_opt_out": "No post",
}

ORGANISATION_FIELDS: tuple[str, ...] = (
    "name",
    "sector",
    "website",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "country",
    "nation",
    "partner_status",
    "notes",
    "source",
)
