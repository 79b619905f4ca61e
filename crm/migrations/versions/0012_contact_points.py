"""contact points: every labelled email, phone, mobile and postal address

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-06 12:40:00

Adds ``contact_point``: any number of labelled emails, phones, mobiles and postal addresses of a
person or an organisation, one preferred of each kind. The owner's own columns stay as the mirror
of the preferred ones. Every existing value is copied: a person's email, phone, mobile and address
become their preferred contact points, their further emails (``person_email``) further ones, and an
organisation's email, phone and address its preferred ones. ``person_email`` is then dropped, so
further emails have one home. People's search text gains their phone numbers and further emails.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crm.text import search_digest

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADDRESS = ("address_line1", "address_line2", "address_line3", "town", "postcode", "country")
_CHUNK = 2_000


def _create_table() -> None:
    op.create_table(
        "contact_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=True),
        sa.Column("value", sa.String(length=320), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("address_line3", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("preferred", sa.Boolean(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name=op.f("fk_contact_point_import_batch_id_import_batch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_contact_point_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_contact_point_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_point")),
    )
    with op.batch_alter_table("contact_point", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_point_import_batch_id"), ["import_batch_id"], unique=False
        )
        batch_op.create_index("ix_contact_point_person", ["person_id", "kind"], unique=False)
        batch_op.create_index("ix_contact_point_organisation", ["organisation_id", "kind"], unique=False)
    op.create_index("ix_contact_point_value_lower", "contact_point", [sa.text("lower(value)")])


def upgrade() -> None:
    _create_table()
    now = "CURRENT_TIMESTAMP"
    cols = "kind, label, value, preferred, import_batch_id, created_at, updated_at"
    addr = ", ".join(_ADDRESS)
    any_address = " OR ".join(f"{c} IS NOT NULL" for c in _ADDRESS)
    # Set-based copies: a database of 100,000 people upgrades in seconds.
    for kind, column in (("email", "email"), ("phone", "phone"), ("mobile", "mobile")):
        op.execute(
            f"INSERT INTO contact_point (person_id, {cols}) "
            f"SELECT id, '{kind}', NULL, {column}, true, import_batch_id, {now}, {now} "
            f"FROM person WHERE {column} IS NOT NULL AND {column} <> ''"
        )
    op.execute(
        f"INSERT INTO contact_point (person_id, {cols}, {addr}) "
        f"SELECT id, 'address', NULL, NULL, true, import_batch_id, {now}, {now}, {addr} "
        f"FROM person WHERE {any_address}"
    )
    op.execute(
        f"INSERT INTO contact_point (person_id, {cols}) "
        f"SELECT e.person_id, 'email', e.label, e.email, false, NULL, {now}, {now} "
        "FROM person_email e ORDER BY e.id"
    )
    for kind, column in (("email", "email"), ("phone", "phone")):
        op.execute(
            f"INSERT INTO contact_point (organisation_id, {cols}) "
            f"SELECT id, '{kind}', NULL, {column}, true, import_batch_id, {now}, {now} "
            f"FROM organisation WHERE {column} IS NOT NULL AND {column} <> ''"
        )
    org_addr = ("address_line1", "address_line2", "town", "postcode", "country")
    op.execute(
        f"INSERT INTO contact_point (organisation_id, {cols}, {', '.join(org_addr)}) "
        f"SELECT id, 'address', NULL, NULL, true, import_batch_id, {now}, {now}, {', '.join(org_addr)} "
        f"FROM organisation WHERE {' OR '.join(f'{c} IS NOT NULL' for c in org_addr)}"
    )
    # A person without a preferred email whose further emails exist: the first becomes preferred,
    # so each kind with contact points has exactly one preferred.
    bind = op.get_bind()
    orphans = bind.execute(
        sa.text(
            "SELECT min(c.id) FROM contact_point c JOIN person p ON p.id = c.person_id "
            "WHERE c.kind = 'email' AND (p.email IS NULL OR p.email = '') GROUP BY c.person_id"
        )
    ).scalars()
    for cid in list(orphans):
        bind.execute(sa.text("UPDATE contact_point SET preferred = true WHERE id = :id"), {"id": cid})
        bind.execute(
            sa.text(
                "UPDATE person SET email = (SELECT value FROM contact_point WHERE id = :id) "
                "WHERE id = (SELECT person_id FROM contact_point WHERE id = :id)"
            ),
            {"id": cid},
        )
    # Search text: phone numbers and further emails are found too (crm.services.channels).
    rows = bind.execute(
        sa.text(
            "SELECT p.id, p.search_text, c.value FROM person p JOIN contact_point c ON c.person_id = p.id "
            "WHERE c.value IS NOT NULL AND NOT (c.kind = 'email' AND c.preferred) ORDER BY p.id, c.id"
        )
    ).all()
    extra: dict[int, tuple[str, list[str]]] = {}
    for pid, text, value in rows:
        extra.setdefault(pid, (text or "", []))[1].append(value)
    items = []
    for pid, (text, values) in extra.items():
        digits = [v.replace(" ", "") for v in values if " " in v and "@" not in v]
        items.append({"id": pid, "t": " ".join(p for p in (text, search_digest(*values, *digits)) if p)})
    for start in range(0, len(items), _CHUNK):
        bind.execute(
            sa.text("UPDATE person SET search_text = :t WHERE id = :id"), items[start : start + _CHUNK]
        )
    with op.batch_alter_table("person_email", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_email_person_id"))
    op.drop_table("person_email")


def downgrade() -> None:
    op.create_table(
        "person_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_email_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_email")),
    )
    with op.batch_alter_table("person_email", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_email_person_id"), ["person_id"], unique=False)
    op.execute(
        "INSERT INTO person_email (person_id, email, label) SELECT person_id, value, label FROM contact_point "
        "WHERE person_id IS NOT NULL AND kind = 'email' AND NOT preferred ORDER BY id"
    )
    op.drop_index("ix_contact_point_value_lower", table_name="contact_point")
    with op.batch_alter_table("contact_point", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_point_organisation")
        batch_op.drop_index("ix_contact_point_person")
        batch_op.drop_index(batch_op.f("ix_contact_point_import_batch_id"))
    op.drop_table("contact_point")
