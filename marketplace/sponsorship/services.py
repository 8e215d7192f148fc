"""Pledges, contributions, tranche releases and refunds: the money verbs (they never commit).

Room is reserved at pledge time: `Project.raised_minor` counts unpaid pledges too, so a project
never accepts more promises than its goal; cancelling or refunding gives the room back.
Precisely: raised_minor = unpaid pledges + contributed - refunded (`marketplace ledger check`).
"""

import hashlib
import json
import re
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, String, bindparam, case, false, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.accounts.models import Organization, Role, User, UserRole
from marketplace.accounts.services import record_audit
from marketplace.database import as_loaded, returning_all, utcnow, with_defaults
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import AccountKind, LedgerAccount, LedgerEntry, TransactionKind
from marketplace.ledger.money import format_minor, is_known_currency, parse_amount
from marketplace.notifications.services import notify
from marketplace.projects import signals as project_signals
from marketplace.projects.models import (
    FundingModel,
    Objective,
    ObjectiveStatus,
    Project,
    ProjectState,
)
from marketplace.projects.services import RELEASABLE, project_path
from marketplace.sponsorship import notices, payments
from marketplace.sponsorship.models import DonorKind, DonorProfile, Pledge, PledgeStatus, TrancheRelease

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
PROJECT = Project.__table__
PLEDGE = Pledge.__table__

# --- donors -----------------------------------------------------------------------------------


def save_donor_profile(user: User, *, kind: str, organization: Organization | None,
                       is_anonymous_by_default: bool, focus_themes: list[str],
                       focus_countries: list[str], country: str | None, tax_identifier: str,
                       ip: str | None = None) -> DonorProfile:
    """Create or update the user's donor profile; the first time, grant the donor role."""
    if kind == DonorKind.ORGANIZATION:
        if organization is None:
            raise InvalidInput("organization", _("Choose the organization you give for."))
        if not any(m.user_id == user.id for m in organization.members):
            raise PermissionDenied(_("You can only give on behalf of an organization you belong to."))
    profile = db.session.scalar(select(DonorProfile).where(DonorProfile.user_id == user.id))
    if profile is None:
        profile = DonorProfile(user=user)
        db.session.add(profile)
    profile.kind = kind
    profile.organization = organization if kind == DonorKind.ORGANIZATION else None
    profile.is_anonymous_by_default = is_anonymous_by_default
    profile.focus_themes = list(focus_themes)
    profile.focus_countries = list(focus_countries)
    profile.country = country or None
    profile.tax_identifier = tax_identifier.strip()
    if not user.has_role(Role.DONOR):
        user.roles.append(UserRole(role=Role.DONOR.value))
        record_audit("role.grant", user, user, ip, role=Role.DONOR.value, via="donor_profile")
    db.session.flush()
    return profile


_PROFILE = select(DonorProfile).where(DonorProfile.user_id == bindparam("user_id"))


def donor_profile(user: User) -> DonorProfile | None:
    return db.session.scalar(_PROFILE, {"user_id": user.id})


# --- pledges ----------------------------------------------------------------------------------


def fingerprint(project_id: int, amount_minor: int, currency: str, message: str, is_anonymous: bool) -> str:
    body = [project_id, amount_minor, currency, message, bool(is_anonymous)]
    return hashlib.sha256(json.dumps(body).encode()).hexdigest()


def record_pledge(donor: User, project: Project, amount_text: str, *, idempotency_key: str,
                  currency: str | None = None, message: str = "", is_anonymous: bool | None = None,
                  provider: str | None = None, locale: str = "en") -> tuple[Pledge, bool]:
    """Pledge money to an open project; returns (pledge, created).

    A replay of the same key and body returns the first pledge (created False); the same key with
    another body is a Conflict. The goal is enforced by a guarded UPDATE (the database decides).
    """
    if not _KEY.match(idempotency_key or ""):
        raise InvalidInput(None, _("This form has expired. Reload the page and try again."))
    if currency and currency.strip().upper() != project.currency:
        raise InvalidInput("amount", _("Amounts for this project are in %(currency)s.",
                                       currency=project.currency))
    amount = parse_amount(amount_text, project.currency, locale=locale)
    message = (message or "").strip()[:2000]
    # Replays are rare: the room is reserved first and the INSERT's unique key spots a replay
    # (one round trip fewer than looking it up first); a replay then gives the room back. The
    # reservation also reads the donor's profile and the owner's address (its RETURNING). The
    # fingerprint depends on the anonymity, which may come from the profile: both are at hand.
    prints = {anonymous: fingerprint(project.id, amount, project.currency, message, anonymous)
              for anonymous in ((False, True) if is_anonymous is None else (is_anonymous,))}
    reserved, pledge = _reserve_and_insert(project, donor, is_anonymous, prints, dict(
        project_id=project.id, donor_id=donor.id, amount_minor=amount, currency=project.currency,
        message=message, provider=payments.provider_name(provider), idempotency_key=idempotency_key))
    if reserved is None:
        profile = donor_profile(donor)
        anonymous = _anonymous(is_anonymous, profile.is_anonymous_by_default if profile else None)
        existing = _replay(donor, idempotency_key,
                           fingerprint(project.id, amount, project.currency, message, anonymous))
        if existing is not None:  # the first request got in before the project filled up
            return existing, False
        raise _no_room(project)
    if pledge is None:  # a replay, or the same key arrived twice at once and the other one won
        _give_back_room(project.id, amount)
        db.session.expire(project, ["raised_minor"])
        return _replay(donor, idempotency_key, prints[_anonymous(is_anonymous, reserved.anonymous_by_default)]), False
    # In this transaction: a crash after commit cannot lose it.
    notices.new_pledge(pledge, project, donor, owner=reserved)
    payments.start(pledge, confirm_pledge)
    if pledge.provider == payments.ManualProvider.name:  # paid by transfer: tell the donor how
        notices.how_to_pay(pledge, project, donor, lapses_on=lapse_date(pledge))
        notices.transfer_expected(pledge, project)
    return pledge, True


# Chosen in the INSERT from the donor's profile (the anonymity, when the request leaves it open).
_CHOSEN = ("is_anonymous", "donor_name", "request_fingerprint")


def _reserve_and_insert(project: Project, donor: User, asked_anonymous: bool | None,
                        prints: dict[bool, str], values: dict):
    """Reserve the room (_RESERVE) and insert the pledge of `values`; returns (the reservation's
    row, the pledge): (None, None) when there is no room, (row, None) when this donor already
    used this idempotency key. The pledge's anonymity, shown name and fingerprint (`prints`, by
    anonymity) follow the donor's profile, in SQL (_pledge_columns). PostgreSQL: one statement;
    SQLite: the reservation, its context (the profile and the owner), then the INSERT."""
    reserve = {"project_id": project.id, "amount": values["amount_minor"], "now": utcnow(), "donor_id": donor.id}
    pledge = {key: value for key, value in with_defaults(Pledge, values).items() if key not in _CHOSEN}
    params = {**reserve, **{f"pledge_{key}": value for key, value in pledge.items()},
              "asked_anonymous": asked_anonymous, "display_name": donor.display_name,
              "print_named": prints.get(False), "print_anonymous": prints.get(True)}
    if db.engine.dialect.name != "postgresql":
        reserved = _reserve_room(project, reserve)
        if reserved is None:
            return None, None
        row = db.session.execute(_insert_pledge_statement(tuple(pledge)), {
            **params, "anonymous_by_default": reserved.anonymous_by_default,
            "giving_organization": reserved.giving_organization}).first()
        return reserved, as_loaded(db.session, Pledge, row._mapping) if row is not None else None
    row = db.session.execute(_reserve_and_insert_statement(tuple(pledge)), params).first()
    if row is None:
        return None, None
    set_committed_value(project, "raised_minor", row.raised_minor)
    return row, as_loaded(db.session, Pledge, row._mapping) if row.id is not None else None


def _pledge_columns(keys: tuple, anonymous_by_default, giving_organization) -> dict:
    """What the pledge's INSERT … SELECT selects, by column: its `keys` bound as pledge_<column>
    (a parameter named like a column of project would become a SET of the reservation's UPDATE),
    and _CHOSEN from the donor profile's `anonymous_by_default` and `giving_organization` (SQL
    expressions): anonymous as asked, else as the profile says (no profile: named); the shown
    name empty when anonymous, else the organization given for, else the donor's name; the
    fingerprint of the anonymity chosen."""
    anonymous = func.coalesce(bindparam("asked_anonymous", type_=Boolean), anonymous_by_default, false())
    columns: dict = {key: bindparam(f"pledge_{key}", type_=PLEDGE.c[key].type) for key in keys}
    columns["is_anonymous"] = anonymous
    columns["donor_name"] = case((anonymous, ""), else_=func.coalesce(
        func.nullif(giving_organization, ""), bindparam("display_name", type_=String)))
    columns["request_fingerprint"] = case((anonymous, bindparam("print_anonymous", type_=String)),
                                          else_=bindparam("print_named", type_=String))
    return columns


def _insert_pledge_from(insert, columns: dict, source=None):
    """INSERT INTO pledge SELECT `columns` [FROM source] ON CONFLICT (donor_id, idempotency_key)
    DO NOTHING RETURNING *: nothing comes back on a replay."""
    selected = select(*columns.values())
    return (insert(PLEDGE).from_select(list(columns), selected if source is None else selected.select_from(source))
            .on_conflict_do_nothing(index_elements=["donor_id", "idempotency_key"])
            .returning(*returning_all(Pledge)))


@cache
def _insert_pledge_statement(keys: tuple):
    """SQLite: the INSERT alone, the profile's values read with the reservation bound as
    anonymous_by_default and giving_organization."""
    return _insert_pledge_from(sqlite_insert, _pledge_columns(
        keys, bindparam("anonymous_by_default", type_=Boolean), bindparam("giving_organization", type_=String)))


@cache
def _reserve_and_insert_statement(keys: tuple):
    """PostgreSQL: WITH reserved AS (_RESERVE RETURNING raised_minor, _CONTEXT), new AS (INSERT
    INTO pledge SELECT … FROM reserved ON CONFLICT DO NOTHING RETURNING *) SELECT reserved.*,
    new.* FROM reserved LEFT JOIN new ON true: no row without room, the pledge's columns NULL on a
    replay."""
    reserved = _RESERVE.returning(PROJECT.c.raised_minor, *_CONTEXT).cte("reserved")
    new = _insert_pledge_from(pg_insert, _pledge_columns(
        keys, reserved.c.anonymous_by_default, reserved.c.giving_organization), reserved).cte("new")
    return select(reserved, new).select_from(reserved.outerjoin(new, true()))


def _anonymous(asked: bool | None, profile_default: bool | None) -> bool:
    """The pledge's anonymity: as asked, else the donor profile's default (none: named)."""
    return asked if asked is not None else bool(profile_default)


def _replay(donor: User, key: str, print_: str) -> Pledge | None:
    existing = db.session.scalar(
        select(Pledge).where(Pledge.donor_id == donor.id, Pledge.idempotency_key == key)
    )
    if existing is not None and existing.request_fingerprint != print_:
        raise Conflict(_("This request was already made with a different amount or message. "
                         "Reload the page to make a new pledge."), field="amount")
    return existing


_PROFILE_TABLE, _ORGANIZATION = DonorProfile.__table__, Organization.__table__
# What a new pledge needs besides the room: its donor's profile (DonorProfile.giving_name) and
# what its notice needs of the project's owner, read by the statement that reserves the room.
_CONTEXT = (
    select(_PROFILE_TABLE.c.is_anonymous_by_default)
    .where(_PROFILE_TABLE.c.user_id == bindparam("donor_id")).scalar_subquery().label("anonymous_by_default"),
    select(_ORGANIZATION.c.name)
    .select_from(_PROFILE_TABLE.join(_ORGANIZATION, _ORGANIZATION.c.id == _PROFILE_TABLE.c.organization_id))
    .where(_PROFILE_TABLE.c.user_id == bindparam("donor_id"),
           _PROFILE_TABLE.c.kind == DonorKind.ORGANIZATION.value).scalar_subquery().label("giving_organization"),
    *notices.owner_columns(PROJECT.c.owner_id),
)
_RESERVE = (
    update(PROJECT)
    .where(PROJECT.c.id == bindparam("project_id"), PROJECT.c.state == ProjectState.OPEN.value,
           PROJECT.c.raised_minor + bindparam("amount") <= PROJECT.c.goal_minor,
           or_(PROJECT.c.deadline.is_(None), PROJECT.c.deadline > bindparam("now")))
    .values(raised_minor=PROJECT.c.raised_minor + bindparam("amount"), updated_at=bindparam("now"))
)
# PostgreSQL RETURNs the context with the new total (_reserve_and_insert_statement); SQLite's
# RETURNING cannot hold correlated subqueries (SQLAlchemy writes its columns unqualified), so
# there it is a SELECT after the UPDATE.
_READ_CONTEXT = select(*_CONTEXT).where(PROJECT.c.id == bindparam("project_id"))


def _reserve_room(project: Project, values: dict):
    """SQLite: raised += amount, only if it stays within the goal, the project is open and not
    past due. Returns None, or a row of the new raised_minor and _CONTEXT."""
    row = db.session.execute(_RESERVE.returning(PROJECT.c.raised_minor), values).first()
    if row is None:
        return None
    set_committed_value(project, "raised_minor", row.raised_minor)
    return db.session.execute(_READ_CONTEXT, values).one()


def closed_to(donor: User, project: Project) -> Conflict | None:
    """Why a donor who could pledge to this project cannot now: a 409 with a reason `code`
    (`project_funded`, `project_closed`) instead of a 403, since only the project's state changed."""
    if not donor.is_donor or project.owner_id == donor.id or project.state == ProjectState.OPEN:
        return None
    if project.state == ProjectState.FUNDED:
        err = Conflict(_("This project has reached its goal; it needs no more pledges."))
        err.code = "project_funded"
    else:
        err = Conflict(_("This project is no longer accepting pledges."))
        err.code = "project_closed"
    return err


def _no_room(project: Project) -> Conflict:
    now = utcnow()
    db.session.refresh(project, ["state", "deadline", "goal_minor", "raised_minor"])
    if project.state != ProjectState.OPEN or (project.deadline and project.deadline <= now):
        return Conflict(_("This project is no longer accepting pledges."), field="amount")
    left = project.goal_minor - project.raised_minor
    if left <= 0:
        return Conflict(_("This project has reached its goal; it needs no more pledges."),
                        field="amount")
    return Conflict(_("Only %(left)s is left to reach the goal. Pledge that much or less.",
                      left=format_minor(left, project.currency)), field="amount")


def _give_back_room(project_id: int, amount: int) -> None:
    if amount:
        db.session.execute(update(PROJECT).where(PROJECT.c.id == project_id)
                           .values(raised_minor=PROJECT.c.raised_minor - amount))


_MOVE_PLEDGE = update(PLEDGE).where(PLEDGE.c.id == bindparam("pledge_id"),
                                    PLEDGE.c.status == bindparam("expected"))


def _set_status(pledge: Pledge, new: PledgeStatus, *, expected: PledgeStatus, **values) -> None:
    """Move a pledge between states with a guarded UPDATE, so two hosts cannot both do it."""
    db.session.flush()
    values["status"] = new.value
    result = db.session.execute(_MOVE_PLEDGE, {"pledge_id": pledge.id, "expected": expected.value, **values})
    _moved(pledge, result.rowcount, values)  # type: ignore[attr-defined]


def _moved(pledge: Pledge, rowcount: int, values: dict) -> None:
    """After a guarded pledge UPDATE: the object takes its new values, or a Conflict says why not."""
    if rowcount != 1:
        db.session.expire(pledge)
        raise Conflict(_("This pledge was not changed: its status is now “%(status)s”.",
                         status=pledge.status_label))
    for key, value in values.items():
        set_committed_value(pledge, key, value)


def confirm_pledge(pledge: Pledge, actor: User | None, provider_reference: str = "", *,
                   just_created: bool = False):
    """The money arrived: post the contribution (donor -> project escrow). Returns the group.

    `just_created`: the pledge was inserted in this same transaction (instant providers), so no
    one else can see it: one UPDATE after posting instead of a guarded one before and one after.
    """
    values = dict(confirmed_at=utcnow(), confirmed_by_id=actor.id if actor else None,
                  provider_reference=provider_reference[:120])
    confirmed, pledged = PledgeStatus.CONFIRMED, PledgeStatus.PLEDGED
    if just_created and pledge.status == pledged:  # the status moves with the posting (Link)
        group, escrow = _post_contribution(pledge, actor, confirm=values)
    else:  # the guarded UPDATE first, so two hosts (or a replayed webhook) cannot both post
        # Receipts of one project are serialised on its row: the funded check below then runs in
        # a snapshot taken after any concurrent receipt committed (READ COMMITTED takes one per
        # statement), so the last two payments recorded at once cannot both miss the goal.
        _lock_project(pledge.project_id)
        _set_status(pledge, confirmed, expected=pledged, **values)
        group, escrow = _post_contribution(pledge, actor)
        _set_status(pledge, confirmed, expected=confirmed, contribution_id=group.id)
    # A just-reserved raised_minor (exact, from RETURNING) below the goal means money received
    # cannot have reached it either: skip the UPDATE on the hot path.
    project = db.session.get(Project, pledge.project_id)
    if not just_created:
        notices.contribution_received(pledge, actor)
    if (not just_created or project.raised_minor >= project.goal_minor) and \
            _mark_funded_if_goal_met(pledge.project_id, escrow.key):
        db.session.refresh(project, ["state"])
        notices.goal_reached(project)
    return group


def _post_contribution(pledge: Pledge, actor: User | None, confirm: dict | None = None):
    """Post the pledge's contribution; with `confirm` (the confirmation's values), the same
    statement moves the pledge from pledged to confirmed and records the group on it."""
    donor = ledger.AccountRef(AccountKind.DONOR, pledge.currency, user_id=pledge.donor_id)
    escrow = ledger.AccountRef(AccountKind.PROJECT_ESCROW, pledge.currency, project_id=pledge.project_id)
    link = None
    if confirm is not None:
        link = ledger.Link(_confirmed_by_group, {"pledge_id": pledge.id, "expected": PledgeStatus.PLEDGED.value,
                                                 "status": PledgeStatus.CONFIRMED.value, **confirm})
    group, linked = ledger.post_to(
        TransactionKind.CONTRIBUTION, [(donor, -pledge.amount_minor), (escrow, pledge.amount_minor)],
        reference=f"contribution:pledge:{pledge.id}", project_id=pledge.project_id,
        actor_id=actor.id if actor else None, link=link)
    if confirm is not None:
        _moved(pledge, linked, {"status": PledgeStatus.CONFIRMED.value, "contribution_id": group.id, **confirm})
    return group, escrow


def _confirmed_by_group(group_id):
    """The pledge confirmed by the contribution group `group_id` (post_to's Link)."""
    return _MOVE_PLEDGE.values(status=bindparam("status"), contribution_id=group_id,
                               confirmed_at=bindparam("confirmed_at"), confirmed_by_id=bindparam("confirmed_by_id"),
                               provider_reference=bindparam("provider_reference"))


def _unpaid_transfers(made_before: datetime):
    """The condition: pledges paid by transfer, still awaiting payment, made before `made_before`."""
    return (Pledge.status == PledgeStatus.PLEDGED.value, Pledge.provider == payments.ManualProvider.name,
            Pledge.created_at <= made_before)


def pledges_to_remind(after: timedelta, now: datetime | None = None) -> list[int]:
    """Pledges paid by transfer still awaiting payment `after` their pledge (or their last
    reminder), on projects still open: their ids, oldest first."""
    cutoff = (now or utcnow()) - after
    return list(db.session.scalars(
        select(Pledge.id).join(Project, Project.id == Pledge.project_id)
        .where(*_unpaid_transfers(cutoff), or_(Pledge.reminded_at.is_(None), Pledge.reminded_at <= cutoff),
               Project.state == ProjectState.OPEN.value)
        .order_by(Pledge.id)))


def remind_unpaid(pledge_id: int, after: timedelta, now: datetime | None = None) -> bool:
    """Remind the donor of one unpaid pledge, at most once per `after`: a guarded UPDATE claims
    the reminder, so two runs at once (or a rerun) send it once. True if this call sent it."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(PLEDGE).where(PLEDGE.c.id == pledge_id, PLEDGE.c.status == PledgeStatus.PLEDGED.value,
                             or_(PLEDGE.c.reminded_at.is_(None), PLEDGE.c.reminded_at <= now - after))
        .values(reminded_at=now)).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        return False
    pledge = db.session.get(Pledge, pledge_id)  # its reminded_at, set above, is not read again
    notices.how_to_pay(pledge, pledge.project, pledge.donor, reminder=True, lapses_on=lapse_date(pledge))
    return True


def lapse_date(pledge: Pledge) -> datetime | None:
    """When an unpaid transfer pledge is cancelled (PLEDGE_LAPSE_DAYS after it was made), if ever."""
    days = current_app.config["PLEDGE_LAPSE_DAYS"]
    if not days or pledge.provider != payments.ManualProvider.name or pledge.status != PledgeStatus.PLEDGED:
        return None
    return pledge.created_at + timedelta(days=days)


def pledges_to_lapse(after: timedelta, now: datetime | None = None) -> list[int]:
    """Transfer pledges still unpaid `after` they were made: their ids, oldest first."""
    return list(db.session.scalars(
        select(Pledge.id).where(*_unpaid_transfers((now or utcnow()) - after)).order_by(Pledge.id)))


def lapse_unpaid(pledge_id: int, days: int) -> bool:
    """Cancel one pledge still unpaid after `days` (its room goes back to the project) and tell its
    donor and the project's owner. The guarded UPDATE of cancel_pledge decides: a pledge paid or
    withdrawn meanwhile, or lapsed by another run, is left alone (False)."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None:
        return False
    try:
        cancel_pledge(pledge, None)
    except Conflict:
        return False
    notices.lapsed(pledge, pledge.project, days)
    return True


def withdraw_pledge(pledge: Pledge, actor: User) -> None:
    """An unpaid pledge withdrawn by its donor, or cancelled by a host or an admin; the other
    side is told."""
    cancel_pledge(pledge, actor)
    notices.pledge_cancelled(pledge, pledge.project, actor)


def cancel_pledge(pledge: Pledge, actor: User | None) -> None:
    """An unpaid pledge is withdrawn (by its donor, a host, or at settlement); its room returns.
    The callers tell whom it concerns (withdraw_pledge, lapse_unpaid, the settlements)."""
    _set_status(pledge, PledgeStatus.CANCELLED, expected=PledgeStatus.PLEDGED, closed_at=utcnow())
    _give_back_room(pledge.project_id, pledge.amount_minor)


def contributed_minor(project_id: int) -> int:
    """Money received and not refunded, from the ledger."""
    totals = ledger.project_totals(project_id)
    return totals["contributed"] - totals["refunded"]


def _mark_funded_if_goal_met(project_id: int, escrow_key: str) -> bool:
    """open -> funded once money received (escrow balance + released) reaches the goal; True if
    this call made the move."""
    escrow_balance = (select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
                      .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                      .where(LedgerAccount.key == escrow_key).scalar_subquery())
    return db.session.execute(update(PROJECT).where(
        PROJECT.c.id == project_id, PROJECT.c.state == ProjectState.OPEN.value,
        escrow_balance + PROJECT.c.released_minor >= PROJECT.c.goal_minor,
    ).values(state=ProjectState.FUNDED.value)).rowcount == 1  # type: ignore[attr-defined]


# --- release ----------------------------------------------------------------------------------

def release_tranche(reviewer: User, objective: Objective, note: str = "") -> TrancheRelease | None:
    """Release a verified objective's tranche, min(tranche, escrow balance), at most once.

    Returns the release, or None when there is nothing to release (no tranche, empty escrow).
    """
    project = _lock_project(objective.project_id)
    if objective.status != ObjectiveStatus.VERIFIED:
        raise Conflict(_("Verify the objective before releasing its tranche."))
    if project.state not in RELEASABLE[project.funding_model]:
        raise Conflict(_("Money can be released only once the project is funded."))
    if db.session.scalar(select(TrancheRelease.id).where(TrancheRelease.objective_id == objective.id)):
        raise Conflict(_("This objective's tranche was already released."))
    escrow = ledger.escrow_account(project.id, project.currency)
    amount = min(objective.tranche_minor, ledger.balance(escrow))
    if amount <= 0:
        return None
    return _release(reviewer, objective, project, escrow, amount, note)


def _release(reviewer, objective, project, escrow, amount, note) -> TrancheRelease:
    group = ledger.post(TransactionKind.RELEASE,
                        [(escrow, -amount), (ledger.released_account(project.id, project.currency), amount)],
                        reference=f"release:objective:{objective.id}", project_id=project.id,
                        memo=objective.title, actor_id=reviewer.id)
    db.session.flush()
    result = db.session.execute(
        update(PROJECT).where(PROJECT.c.id == project.id,
                              PROJECT.c.released_minor + amount <= PROJECT.c.raised_minor)
        .values(released_minor=PROJECT.c.released_minor + amount))
    if result.rowcount != 1:  # type: ignore[attr-defined]  # pragma: no cover - the escrow balance already bounds it
        raise Conflict(_("The escrow does not hold enough to release this tranche."))
    release = TrancheRelease(objective_id=objective.id, project_id=project.id, transaction_id=group.id,
                             amount_minor=amount, currency=project.currency, note=note.strip(),
                             released_by_id=reviewer.id)
    db.session.add(release)
    db.session.flush()
    db.session.expire(project, ["released_minor"])
    notices.tranche_released(project, objective.title, amount, reviewer)
    record_audit("tranche.released", reviewer, objective, None, project_id=project.id, amount_minor=amount,
                 currency=project.currency)
    return release


def _lock_project(project_id: int) -> Project:
    """Serialise money moves on one project (row lock on PostgreSQL; SQLite has one writer)."""
    return db.session.scalar(select(Project).where(Project.id == project_id)
                             .with_for_update().execution_options(populate_existing=True))


# --- refunds and settlement -------------------------------------------------------------------


def refund_project(actor: User | None, project: Project) -> dict[str, int]:
    """Cancel unpaid pledges and refund what is still in escrow, pro rata to each contribution.

    Each refund is its own group reversing one contribution (at most once: a unique constraint).
    Call it when a project is cancelled or misses an all-or-nothing goal. Safe to call twice.
    """
    _lock_project(project.id)
    pledges = list(db.session.scalars(
        select(Pledge).where(Pledge.project_id == project.id,
                             Pledge.status.in_([PledgeStatus.PLEDGED.value, PledgeStatus.CONFIRMED.value]))
        .order_by(Pledge.id)))
    summary = {"cancelled": 0, "refunded": 0, "refunded_minor": 0}
    for pledge in (p for p in pledges if p.status == PledgeStatus.PLEDGED):
        cancel_pledge(pledge, actor)
        notices.pledge_cancelled(pledge, project, None)  # the project closed: do not send the money
        summary["cancelled"] += 1
    confirmed = [p for p in pledges if p.status == PledgeStatus.CONFIRMED]
    escrow = ledger.escrow_account(project.id, project.currency)
    for pledge, share in zip(confirmed, pro_rata(ledger.balance(escrow), [p.amount_minor for p in confirmed]),
                             strict=True):
        if share > 0:
            _refund(pledge, escrow, share, actor)
            notices.refunded(pledge, share, project)
            summary["refunded"] += 1
            summary["refunded_minor"] += share
    if summary["refunded_minor"]:
        notices.project_closed(project, summary["refunded_minor"], actor)
    db.session.expire(project, ["raised_minor"])
    return summary


def _refund(pledge: Pledge, escrow, share: int, actor: User | None) -> None:
    contribution = pledge.contribution
    group = ledger.post(TransactionKind.REFUND,
                        [(escrow, -share), (ledger.donor_account(pledge.donor_id, pledge.currency), share)],
                        reference=f"refund:pledge:{pledge.id}", project_id=pledge.project_id,
                        reverses=contribution, actor_id=actor.id if actor else None)
    db.session.flush()
    _set_status(pledge, PledgeStatus.REFUNDED, expected=PledgeStatus.CONFIRMED,
                refund_id=group.id, closed_at=utcnow())
    _give_back_room(pledge.project_id, share)


def pro_rata(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` in whole units (largest remainders get the rest)."""
    whole = sum(weights)
    if whole == 0 or total <= 0:
        return [0] * len(weights)
    total = min(total, whole)
    shares = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def settle_project(project: Project, now: datetime | None = None) -> str:
    """Close one project past its deadline (or cancelled): returns what happened, '' if nothing.
    Each settlement is written to the audit log (action "project.settled")."""
    outcome = _settle(project, now)
    if outcome:
        record_audit("project.settled", None, db.session.get(Project, project.id), None, outcome=outcome)
    return outcome


def _settle(project: Project, now: datetime | None = None) -> str:
    now = now or utcnow()
    # Another run (a second node, an overlapping cron) may be settling it: wait for its commit on
    # the row lock, then decide on the state it left.
    project = _lock_project(project.id)
    if project.state == ProjectState.CANCELLED:
        summary = refund_project(None, project)
        return "refunded" if summary["refunded"] or summary["cancelled"] else ""
    if project.state != ProjectState.OPEN or project.deadline is None or project.deadline > now:
        return ""
    met = contributed_minor(project.id) >= project.goal_minor
    if project.funding_model == FundingModel.ALL_OR_NOTHING and not met:
        project.state = ProjectState.EXPIRED.value  # first, so the refund notices say why
        db.session.flush()
        refund_project(None, project)
        db.session.expire(project)
        return ProjectState.EXPIRED.value
    else:
        for pledge in _unpaid(project.id):
            cancel_pledge(pledge, None)
            notices.pledge_cancelled(pledge, project, None)
        new_state = ProjectState.FUNDED if contributed_minor(project.id) > 0 else ProjectState.EXPIRED
    db.session.execute(update(PROJECT).where(PROJECT.c.id == project.id,
                                             PROJECT.c.state == ProjectState.OPEN.value)
                       .values(state=new_state.value))
    db.session.expire(project)
    return new_state.value


def _unpaid(project_id: int) -> list[Pledge]:
    return list(db.session.scalars(select(Pledge).where(
        Pledge.project_id == project_id, Pledge.status == PledgeStatus.PLEDGED.value)))


def projects_to_settle(now: datetime | None = None) -> list[Project]:
    """Open projects past their deadline, and cancelled ones still holding pledges."""
    now = now or utcnow()
    holding = select(Pledge.project_id).where(
        Pledge.status.in_([PledgeStatus.PLEDGED.value, PledgeStatus.CONFIRMED.value]))
    return list(db.session.scalars(select(Project).where(or_(
        (Project.state == ProjectState.OPEN.value) & (Project.deadline <= now),
        (Project.state == ProjectState.CANCELLED.value) & Project.id.in_(holding),
    )).order_by(Project.id)))


def check_currency(code: str) -> None:
    if not is_known_currency(code):
        raise InvalidInput("currency", _("Choose a currency from the list."))


# --- what a project's life cycle asks of sponsorship (see marketplace.projects.signals) ---------


def connect_signals() -> None:
    """Called once by create_app; connecting the same receiver again is a no-op."""
    project_signals.project_closed.connect(_refund_closed_project)
    project_signals.objective_verified.connect(_release_verified_tranche)
    project_signals.report_added.connect(_notify_sponsors)


def _refund_closed_project(project: Project, actor: User | None) -> None:
    refund_project(actor, project)


def _release_verified_tranche(objective: Objective, reviewer: User) -> None:
    release_tranche(reviewer, objective)


def _notify_sponsors(project: Project, author: User, report: object) -> None:
    message = _l("New progress report on %(title)s", title=project.title)
    for donor in sponsors_of(project):
        notify(donor, "progress_report", message, project_path(project), actor=author)


def sponsors_of(project: Project) -> list[User]:
    """Everyone with a pledge on the project (notified of reports, whatever their anonymity)."""
    donor_ids = select(Pledge.donor_id).where(Pledge.project_id == project.id)
    return list(db.session.scalars(select(User).where(User.id.in_(donor_ids))))


def has_contributed(user: User, project: Project) -> bool:
    """Whether money of `user` reached the project: a contribution received, not all refunded."""
    pledges = db.session.scalars(select(Pledge).where(
        Pledge.project_id == project.id, Pledge.donor_id == user.id,
        Pledge.status.in_([PledgeStatus.CONFIRMED.value, PledgeStatus.REFUNDED.value])))
    return any(p.status == PledgeStatus.CONFIRMED or p.refunded_minor < p.amount_minor
               for p in pledges)
