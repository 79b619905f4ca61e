"""Cohort and working-group columns: read per row, written after the row's memberships, undone exactly.

A row's ``Cohort`` and ``Working group`` cells belong to the row's network: the first network in
its Network column, else the import's network option. Cohorts and groups are created as needed
(marked with the import, so undoing it removes them again if nobody else has used them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, exists, insert, literal, select, update
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.importing import cleaning
from crm.importing.plan import Flag, ImportPlan, RowPlan
from crm.models import (
    AuditEntry,
    Membership,
    MembershipGroup,
    MembershipPeriod,
    NetworkCohort,
    NetworkGroup,
    table_of,
    utcnow,
)
from crm.services import cohorts
from crm.services.membership_periods import latest_period_ids
from crm.services.networks import find_network
from crm.util import chunked


def network_extra_cell(plan: RowPlan, fname: str, raw: Any) -> None:
    """Read a Cohort or Working group cell into the row's values, until its network is known."""
    if fname == "cohort":
        name = cleaning.text(raw)
        if name and len(name) > 200:
            raise ValidationError("a cohort name is at most 200 characters")
        if name:
            plan.values["_cohort"] = name
    else:
        groups = tuple(cleaning.split_tags(raw))
        if any(len(g) > 200 for g in groups):
            raise ValidationError("a working group name is at most 200 characters")
        if groups:
            plan.values["_groups"] = groups


def place_network_extras(plan: RowPlan, headers: Sequence[str], mapping: Mapping[int, str]) -> None:
    """Attach the row's cohort and groups to its network (flagged when the row has none)."""
    cohort = plan.values.pop("_cohort", None)
    groups = plan.values.pop("_groups", ())
    if not (cohort or groups):
        return
    if not plan.networks:
        where = next((headers[i] for i, f in mapping.items() if f in ("cohort", "working_group")), "")
        plan.flags += (
            Flag(
                plan.row,
                where,
                str(cohort or ", ".join(groups)),
                "a cohort or working group needs a network: "
                "add a Network column or choose one in the options",
            ),
        )
        return
    plan.network_extras = (plan.networks[0][0], cohort, tuple(groups))


def write_network_extras(session: Session, plan: ImportPlan, batch_id: int) -> None:
    """After the import's memberships are written: their first periods, then cohorts and groups."""
    _open_periods(session, batch_id)
    wanted: dict[tuple[str, str], list[int]] = defaultdict(list)  # (network, cohort) → people
    in_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in plan.rows:
        if r.action not in ("create", "update") or r.person_id is None or r.network_extras is None:
            continue
        network, cohort, groups = r.network_extras
        if cohort:
            wanted[(network.lower(), cohort)].append(r.person_id)
        for g in groups:
            in_group[(network.lower(), g)].append(r.person_id)
    network_ids: dict[str, int] = {}
    for name in {n for n, _ in wanted} | {n for n, _ in in_group}:
        found = find_network(session, name)
        if found is not None:
            network_ids[name] = found.id
    for (network, cohort_name), people in wanted.items():
        if network not in network_ids or not cohort_name:
            continue
        nid = network_ids[network]
        found_cohort, _ = cohorts.get_or_create_cohort(session, nid, cohort_name, batch_id=batch_id)
        # A cohort fills in the membership's; one already set is left as it is (a file never
        # moves someone out of a cohort silently).
        ids = _memberships(session, nid, people, unset_cohort=True)
        cohorts.set_cohort(session, ids, found_cohort.id, batch_id=batch_id)
    for (network, group_name), people in in_group.items():
        if network not in network_ids:
            continue
        nid = network_ids[network]
        group, _ = cohorts.get_or_create_group(session, nid, group_name, batch_id=batch_id)
        cohorts.add_to_group(session, group.id, _memberships(session, nid, people), batch_id=batch_id)


def _memberships(
    session: Session, network_id: int, people: Sequence[int], *, unset_cohort: bool = False
) -> list[int]:
    out: list[int] = []
    for part in chunked(list(dict.fromkeys(people))):
        stmt = select(Membership.id).where(
            Membership.network_id == network_id, Membership.person_id.in_(part)
        )
        if unset_cohort:
            stmt = stmt.where(Membership.cohort_id.is_(None))
        out.extend(session.scalars(stmt))
    return out


def _open_periods(session: Session, batch_id: int) -> None:
    """The first period of each membership this import added without one (new people's, in bulk)."""
    period = table_of(MembershipPeriod)
    source = select(
        Membership.id,
        Membership.joined_on,
        Membership.left_on,
        Membership.cohort_id,
        literal(batch_id, type_=period.c.import_batch_id.type),
        literal(utcnow(), type_=period.c.created_at.type),
    ).where(
        Membership.import_batch_id == batch_id,
        ~exists().where(MembershipPeriod.membership_id == Membership.id),
    )
    session.execute(
        insert(period).from_select(
            ["membership_id", "joined_on", "left_on", "cohort_id", "import_batch_id", "created_at"], source
        )
    )


def undo_network_extras(session: Session, batch_id: int) -> int:
    """Take back what an import added to cohorts and groups. Run after its memberships are deleted
    (their periods and groups go with them). Returns how many links were removed or restored."""
    n = 0
    for model in (MembershipGroup, MembershipPeriod):
        result: Any = session.execute(delete(model).where(model.import_batch_id == batch_id))
        n += result.rowcount or 0
    filled = list(
        session.scalars(
            select(AuditEntry.entity_id).where(
                AuditEntry.import_batch_id == batch_id,
                AuditEntry.entity == "membership",
                AuditEntry.field == "cohort",
                AuditEntry.action == "update",
            )
        )
    )
    for part in chunked([i for i in filled if i is not None]):
        # The import only ever filled an empty cohort in, so its undo empties it again.
        result = session.execute(update(Membership).where(Membership.id.in_(part)).values(cohort_id=None))
        n += result.rowcount or 0
        latest = list(latest_period_ids(session, part).values())
        session.execute(
            update(MembershipPeriod).where(MembershipPeriod.id.in_(latest)).values(cohort_id=None)
        )
    used_cohort = exists().where(Membership.cohort_id == NetworkCohort.id) | exists().where(
        MembershipPeriod.cohort_id == NetworkCohort.id
    )
    session.execute(delete(NetworkCohort).where(NetworkCohort.import_batch_id == batch_id, ~used_cohort))
    used_group = exists().where(MembershipGroup.group_id == NetworkGroup.id)
    session.execute(delete(NetworkGroup).where(NetworkGroup.import_batch_id == batch_id, ~used_group))
    return n
