"""Fiscal hosts: payment instructions, payment references, bank statements and their matching.

A host is an organization with `is_fiscal_host`; a project names it (`Project.host_id`). Donors
pay the host by bank transfer quoting the pledge's payment reference (an ISO 11649 "RF" creditor
reference, checksummed, so a typo is caught). The host's treasurers upload the bank statement
(MT940, or CSV with a column mapping); each credit is stored once per host, keyed by the bank's
transaction id, and credits that fit an awaiting pledge — by reference, or by amount and payer
name when exactly one pledge fits — are proposed. A treasurer confirms the proposals in bulk,
which records the payments through `services.confirm_pledge`.
"""

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import mt940
from flask_babel import lazy_gettext as _l
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from marketplace.accounts.models import Organization, User
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.ledger.money import (
    DECIMAL_MARKS,
    AmbiguousAmount,
    bank_decimal_mark,
    format_minor,
    is_known_currency,
    parse_bank_amount,
    to_minor,
)
from marketplace.projects.models import Project
from marketplace.sponsorship import services
from marketplace.sponsorship.models import BankLine, BankLineStatus, BankStatement, Pledge, PledgeStatus

REFERENCE_PREFIX = "MP"  # inside the RF reference: "MP" + the pledge id
STATEMENT_FORMATS = ("mt940", "csv")
MAX_STATEMENT_LINES = 5000
UNMATCHED_BY_HAND = "unmatched"  # match_reason of a line a treasurer took a proposal from
CSV_COLUMNS = ("date", "amount", "currency", "payer", "details", "transaction_id")
CSV_DEFAULT_MAPPING = {"date": "date", "amount": "amount", "currency": "currency", "payer": "payer",
                       "details": "details", "transaction_id": "transaction_id"}


# --- payment references ------------------------------------------------------------------------


def bank_reference(provider_reference: str | None) -> str:
    """What a receipt shows of how the money came: the bank's own reference of the statement line
    (recorded as bank:b:<account>:<booked on>:<reference>[#n], see _mt940_lines), a card
    processor's id; nothing for our internal keys (bank:h:… when the bank gave no reference,
    `instant`)."""
    if not provider_reference or provider_reference == "instant":
        return ""
    if provider_reference.startswith("bank:"):
        parts = provider_reference.split(":", 4)
        return parts[4].split("#", 1)[0] if parts[1] == "b" and len(parts) == 5 else ""
    return provider_reference


def payment_reference(pledge_id: int) -> str:
    """The pledge's ISO 11649 creditor reference, e.g. "RF47MP42" (print it grouped by four)."""
    body = f"{REFERENCE_PREFIX}{pledge_id}"
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def display_reference(pledge_id: int) -> str:
    return iso11649.format(payment_reference(pledge_id))


_RF = re.compile(r"RF\d{2}" + REFERENCE_PREFIX + r"\d{1,18}")


def pledge_ids_in(text: str) -> list[int]:
    """Pledge ids whose valid reference appears in a bank line's text (spaces inside allowed)."""
    compact = re.sub(r"[\s\-]", "", (text or "").upper())
    found = []
    for match in _RF.finditer(compact):
        ref = match.group(0)
        # The longest run may have swallowed digits that follow; try shorter tails too.
        for end in range(len(ref), len(REFERENCE_PREFIX) + 4, -1):
            candidate = ref[:end]
            if iso11649.is_valid(candidate):
                found.append(int(candidate[4 + len(REFERENCE_PREFIX):]))
                break
    return list(dict.fromkeys(found))


# --- host settings -----------------------------------------------------------------------------


def update_host_settings(org: Organization, *, is_fiscal_host: bool, payment_instructions: str,
                         bank_account_holder: str, iban: str, bic: str) -> None:
    """Validate the bank details (IBAN check digits and country format, BIC) and save them."""
    iban_text = re.sub(r"\s", "", iban or "").upper()
    bic_text = re.sub(r"\s", "", bic or "").upper()
    if iban_text:
        try:
            iban_text = IBAN(iban_text).compact
        except SchwiftyException:
            raise InvalidInput("iban", _l("This is not a valid IBAN: check the country code, the check "
                                          "digits and the length.")) from None
    if bic_text:
        try:
            bic_text = BIC(bic_text).compact
        except SchwiftyException:
            raise InvalidInput("bic", _l("This is not a valid BIC (8 or 11 letters and digits).")) from None
    instructions = (payment_instructions or "").strip()
    if is_fiscal_host and not (iban_text or instructions):
        raise InvalidInput("payment_instructions",
                           _l("A host must tell donors how to pay: give an IBAN or written instructions."))
    org.is_fiscal_host = is_fiscal_host
    org.payment_instructions = instructions
    org.bank_account_holder = (bank_account_holder or "").strip() or org.name
    org.iban, org.bic = iban_text, bic_text
    db.session.flush()


def hosts() -> list[Organization]:
    return list(db.session.scalars(select(Organization).where(Organization.is_fiscal_host)
                                   .order_by(Organization.name)))


def hosted_projects_query(host: Organization):
    """The projects naming `host` as their fiscal host, by title (the id parts equal titles)."""
    return select(Project).where(Project.host_id == host.id).order_by(Project.title, Project.id)


def hosted_projects(host: Organization) -> list[Project]:
    return list(db.session.scalars(hosted_projects_query(host)))


def awaiting_pledges_query(host: Organization):
    """The pledges to the host's projects still awaiting payment, oldest first."""
    return (select(Pledge).join(Project, Pledge.project_id == Project.id)
            .where(Project.host_id == host.id, Pledge.status == PledgeStatus.PLEDGED.value)
            .options(selectinload(Pledge.donor), selectinload(Pledge.project))  # matching and the page read both
            .order_by(Pledge.created_at, Pledge.id))


def awaiting_pledges(host: Organization) -> list[Pledge]:
    return list(db.session.scalars(awaiting_pledges_query(host)))


# --- statements --------------------------------------------------------------------------------


@dataclass
class StatementLine:
    bank_transaction_id: str
    booked_on: date
    amount_minor: int
    currency: str
    payer: str
    details: str


def _line_id(*parts) -> str:
    return "h:" + hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


def _with_ordinals(lines: list[StatementLine]) -> list[StatementLine]:
    """Lines without a bank id get a content hash; equal ones on one statement get an ordinal, so
    two identical transfers stay two lines and re-uploading the file still adds nothing."""
    seen: dict[str, int] = {}
    for line in lines:
        n = seen[line.bank_transaction_id] = seen.get(line.bank_transaction_id, 0) + 1
        if n > 1:
            line.bank_transaction_id = f"{line.bank_transaction_id}#{n}"[:120]
    return lines


_NAME_IN_86 = re.compile(r"/NAME/([^/]+)")
_MT940_FIELDS = re.compile(r"^:(?:20|25|61):", re.MULTILINE)


def parse_mt940(data: bytes) -> list[StatementLine]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if "\x00" in text or not _MT940_FIELDS.search(text):
        raise InvalidInput("statement", _l("This file is not a readable MT940 statement (it has no :20:, "
                                           ":25: or :61: field). If it is a CSV file, choose the format CSV."))
    try:
        transactions = mt940.models.Transactions()
        transactions.parse(text)
    except Exception as err:  # the parser raises plain exceptions of several kinds
        raise InvalidInput("statement", _l("This file is not a readable MT940 statement (%(error)s).",
                                           error=str(err)[:200])) from None
    account = transactions.data.get("account_identification", "")
    lines = []
    for tx in transactions:
        d = tx.data
        amount = d.get("amount")
        if amount is None or d.get("status") not in ("C", "RD"):
            continue  # debits are the host's own payments, not donations
        currency = str(amount.currency or d.get("currency") or "").upper()
        if not is_known_currency(currency):
            continue
        details = " ".join(str(d.get(k) or "") for k in ("transaction_details", "extra_details")).strip()
        name = _NAME_IN_86.search(details)
        bank_ref = (d.get("bank_reference") or "").strip()
        customer_ref = (d.get("customer_reference") or "").strip()
        booked = d.get("date")
        booked_on = date(booked.year, booked.month, booked.day)
        value = Decimal(str(amount.amount))
        key = (f"b:{account}:{booked_on}:{bank_ref}" if bank_ref and bank_ref.upper() != "NONREF"
               else _line_id(account, booked_on, value, currency, customer_ref, details))
        lines.append(StatementLine(key[:120], booked_on, to_minor(abs(value), currency), currency,
                                   (name.group(1).strip() if name else "")[:200], details[:4000]))
    return _with_ordinals(lines)


CSV_DELIMITERS = (",", ";", "\t", "|")


def _csv_rows(text: str, mapping: dict[str, str]) -> csv.DictReader:
    """A reader with the file's delimiter: the one whose header row has the date and amount
    columns (a European bank exports "Datum;Betrag"); else what csv.Sniffer guesses; else ","."""
    needed = {mapping["date"], mapping["amount"]}
    first = text.splitlines()[0] if text else ""
    for delimiter in CSV_DELIMITERS:
        if needed <= {h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])}:
            return csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:8192], delimiters="".join(CSV_DELIMITERS))
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(text), dialect=dialect)


def parse_csv(data: bytes, mapping: dict[str, str] | None = None,
              decimal_mark: str = "") -> list[StatementLine]:
    """A CSV with a header row, comma- or semicolon-separated; `mapping` names the column for
    each of CSV_COLUMNS (currency may be a fixed code such as "=EUR"). Credits only.

    Amounts may group thousands and use "." or "," as decimal mark ("1,000.00", "1.000,00",
    "1 000,00"); `decimal_mark` says which, else each amount's figures do, else the file's other
    amounts do; an amount still ambiguous ("1.000" alone) refuses the file, naming its line."""
    mapping = {**CSV_DEFAULT_MAPPING, **{k: v.strip() for k, v in (mapping or {}).items() if v and v.strip()}}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("statement", _l("The CSV file must be UTF-8.")) from None
    reader = _csv_rows(text, mapping)
    headers = {h.strip() for h in reader.fieldnames or []}
    missing = [mapping[k] for k in ("date", "amount") if mapping[k] not in headers]
    if missing:
        raise InvalidInput("statement", _l("The CSV file has no column %(name)s (its columns: %(found)s).",
                                           name=", ".join(missing),
                                           found=", ".join(sorted(headers))[:300] or "—"))
    reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
    rows = list(enumerate(reader, start=2))
    if decimal_mark not in DECIMAL_MARKS:
        decimal_mark = _file_decimal_mark(row.get(mapping["amount"]) or "" for _number, row in rows)
    lines = []
    for number, row in rows:
        def cell(key: str, row=row) -> str:
            column = mapping.get(key, "")
            return column[1:] if column.startswith("=") else (row.get(column) or "").strip()

        currency = cell("currency").upper()
        value = _csv_amount(cell("amount"), number, decimal_mark or None)
        if value is None or value <= 0 or not is_known_currency(currency):
            continue
        try:
            booked_on = datetime.strptime(cell("date")[:10], "%Y-%m-%d").date()
        except ValueError:
            raise InvalidInput("statement", _l("Line %(number)s: the date must be YYYY-MM-DD.",
                                               number=number)) from None
        try:
            amount_minor = to_minor(value, currency)
        except InvalidInput as err:
            raise InvalidInput("statement", _l("Line %(number)s: %(error)s", number=number,
                                               error=err.message)) from None
        details, payer = cell("details"), cell("payer")
        tx_id = cell("transaction_id")
        key = f"c:{tx_id}" if tx_id else _line_id(booked_on, value, currency, payer, details)
        lines.append(StatementLine(key[:120], booked_on, amount_minor, currency, payer[:200], details[:4000]))
    return _with_ordinals(lines)


def _file_decimal_mark(amounts) -> str:
    """The decimal mark the file's amounts agree on ("" when none shows one, or they disagree)."""
    shown = set()
    for text in amounts:
        try:
            shown.add(bank_decimal_mark(text))
        except ValueError:
            continue
    shown.discard(None)
    return shown.pop() if len(shown) == 1 else ""


def _csv_amount(text: str, number: int, decimal_mark: str | None) -> Decimal | None:
    """A CSV cell's amount (None for an empty cell), or a field error naming the line."""
    if not text:
        return None
    try:
        return parse_bank_amount(text, decimal_mark)
    except AmbiguousAmount:
        if text.startswith("-") or text.endswith("-"):
            return None  # a debit, skipped whatever its size
        raise InvalidInput("statement", _l(
            "Line %(number)s: the amount “%(text)s” can be read two ways (a thousands separator or "
            "a decimal mark): choose the decimal separator under “CSV columns”.",
            number=number, text=text[:40])) from None
    except ValueError:
        raise InvalidInput("statement", _l("Line %(number)s: the amount must be a number, such as "
                                           "1234.50 or 1.234,50.", number=number)) from None


def import_statement(host: Organization, uploader: User, data: bytes, file_format: str,
                     filename: str = "", mapping: dict | None = None, decimal_mark: str = "") -> BankStatement:
    """Store a statement's credits (each once per host), then propose matches for every open line."""
    if file_format not in STATEMENT_FORMATS:
        raise InvalidInput("file_format", _l("Choose MT940 or CSV."))
    lines = parse_mt940(data) if file_format == "mt940" else parse_csv(data, mapping, decimal_mark)
    if not lines:
        raise InvalidInput("statement", _l("The statement contains no incoming payment."))
    if len(lines) > MAX_STATEMENT_LINES:
        raise InvalidInput("statement", _l("A statement may have at most %(count)s lines.",
                                           count=MAX_STATEMENT_LINES))
    statement = BankStatement(host_id=host.id, uploaded_by_id=uploader.id, filename=filename[:200],
                              file_format=file_format, line_count=len(lines))
    db.session.add(statement)
    db.session.flush()
    known = set(db.session.scalars(select(BankLine.bank_transaction_id).where(
        BankLine.host_id == host.id,
        BankLine.bank_transaction_id.in_([line.bank_transaction_id for line in lines]))))
    new = [line for line in lines if line.bank_transaction_id not in known]
    for line in new:
        db.session.add(BankLine(host_id=host.id, statement_id=statement.id, **line.__dict__))
    statement.new_line_count = len(new)
    db.session.flush()
    propose_matches(host)
    return statement


def propose_matches(host: Organization) -> int:
    """Propose an awaiting pledge for each unmatched line: its reference first; else the one pledge
    with the same amount and currency whose donor's name appears in the payer or details."""
    open_lines = list(db.session.scalars(select(BankLine).where(
        BankLine.host_id == host.id, BankLine.status == BankLineStatus.UNMATCHED.value,
        BankLine.match_reason != UNMATCHED_BY_HAND)))
    if not open_lines:
        return 0
    awaiting = {p.id: p for p in awaiting_pledges(host)}
    taken = set(db.session.scalars(select(BankLine.pledge_id).where(
        BankLine.host_id == host.id, BankLine.status == BankLineStatus.PROPOSED.value)))
    proposed = 0
    for line in open_lines:
        pledge, reason = _match(line, awaiting, taken)
        if pledge is not None:
            line.status, line.pledge_id, line.match_reason = BankLineStatus.PROPOSED.value, pledge.id, reason
            taken.add(pledge.id)
            proposed += 1
    db.session.flush()
    return proposed


def _fits(line: BankLine, pledge: Pledge) -> bool:
    return pledge.amount_minor == line.amount_minor and pledge.currency == line.currency


def _match(line: BankLine, awaiting: dict[int, Pledge], taken: set) -> tuple[Pledge | None, str]:
    for pledge_id in pledge_ids_in(f"{line.details} {line.payer}"):
        pledge = awaiting.get(pledge_id)
        if pledge is not None and pledge_id not in taken and _fits(line, pledge):
            return pledge, "reference"
    text = f"{line.payer} {line.details}".casefold()
    fitting = [p for p in awaiting.values() if p.id not in taken and _fits(line, p)
               and any(name in text for name in _donor_names(p))]
    return (fitting[0], "amount_payer") if len(fitting) == 1 else (None, "")


def _donor_names(pledge: Pledge) -> list[str]:
    names = {pledge.donor_name, pledge.donor.display_name if pledge.donor else ""}
    return [n.casefold() for n in names if n and len(n) >= 4]


@dataclass
class Confirmation:
    """What a bulk confirmation did: the pledges recorded, the checked lines skipped (with why:
    "stale" their pledge is no longer awaiting payment, "gone" the line is no longer proposed), and
    how many were already recorded (by another treasurer at the same time)."""
    recorded: list[Pledge]
    skipped: list[tuple[BankLine, str]]
    already: int


def release_stale_proposals(host: Organization) -> int:
    """Proposals whose pledge is no longer awaiting payment (recorded by hand, cancelled, expired)
    go back to unmatched, then every open line is matched again: a stale proposal must not block
    the others, nor stay checked on the page. Returns how many were released."""
    still_pledged = select(Pledge.id).where(Pledge.status == PledgeStatus.PLEDGED.value)
    released = db.session.execute(
        update(BankLine).where(BankLine.host_id == host.id, BankLine.status == BankLineStatus.PROPOSED.value,
                               (BankLine.pledge_id.is_(None)) | BankLine.pledge_id.not_in(still_pledged))
        .values(status=BankLineStatus.UNMATCHED.value, pledge_id=None, match_reason="")
        .execution_options(synchronize_session="fetch")).rowcount  # type: ignore[attr-defined]
    if released:
        propose_matches(host)
    return released


def confirm_lines(host: Organization, actor: User, line_ids: list[int]) -> Confirmation:
    """Record the payments of the chosen proposed lines that still fit: each line moves proposed
    -> confirmed by a guarded UPDATE, so two treasurers confirming at once record each payment
    once; a line whose pledge is no longer awaiting payment is skipped (and released), not a
    reason to record nothing."""
    wanted = sorted(set(line_ids))
    before = {line.id: (line.status, line.pledge_id) for line in db.session.scalars(
        select(BankLine).where(BankLine.id.in_(wanted), BankLine.host_id == host.id))}
    release_stale_proposals(host)
    result = Confirmation([], [], 0)
    for line_id in wanted:
        moved = db.session.execute(
            update(BankLine).where(BankLine.id == line_id, BankLine.host_id == host.id,
                                   BankLine.status == BankLineStatus.PROPOSED.value,
                                   BankLine.pledge_id == (before.get(line_id) or ("", None))[1])
            .values(status=BankLineStatus.CONFIRMED.value, confirmed_by_id=actor.id, confirmed_at=utcnow())
            .returning(BankLine.pledge_id, BankLine.bank_transaction_id)).first()
        if moved is None or moved.pledge_id is None:
            line = db.session.get(BankLine, line_id)
            if line is None or line.host_id != host.id:
                continue
            db.session.refresh(line)
            if line.status == BankLineStatus.CONFIRMED.value:
                result.already += 1
            else:
                seen = db.session.get(Pledge, before[line_id][1]) if before[line_id][1] else None
                stale = seen is not None and seen.status != PledgeStatus.PLEDGED.value
                result.skipped.append((line, "stale" if stale else "gone"))
            continue
        pledge = db.session.get(Pledge, moved.pledge_id)
        if pledge.project.owner_id == actor.id and not actor.is_admin:
            raise PermissionDenied(_l("You own %(title)s: another treasurer records its income.",
                                      title=pledge.project.title))
        services.confirm_pledge(pledge, actor, provider_reference=f"bank:{moved.bank_transaction_id}")
        result.recorded.append(pledge)
    return result


def candidates(host: Organization, unmatched: list[BankLine]) -> dict[int, list[Pledge]]:
    """For each unmatched line, the awaiting pledges a treasurer may match it to by hand: same
    amount and currency, and not already proposed for another line."""
    taken = set(db.session.scalars(select(BankLine.pledge_id).where(
        BankLine.host_id == host.id, BankLine.status == BankLineStatus.PROPOSED.value)))
    awaiting = [p for p in awaiting_pledges(host) if p.id not in taken]
    return {line.id: [p for p in awaiting if _fits(line, p)] for line in unmatched}


def match_line(host: Organization, line_id: int, pledge_id: int) -> BankLine:
    """A treasurer matches a line nothing matched (the donor forgot the reference) to an awaiting
    pledge of the same amount; it is then proposed like the others and confirmed with them."""
    line = db.session.get(BankLine, line_id)
    if line is None or line.host_id != host.id or line.status != BankLineStatus.UNMATCHED.value:
        raise Conflict(_l("This line is no longer waiting for a match; reload the page."))
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.project.host_id != host.id or pledge.status != PledgeStatus.PLEDGED.value:
        raise InvalidInput("pledge", _l("Choose a pledge awaiting payment to a project of this host."))
    if not _fits(line, pledge):
        raise InvalidInput("pledge", _l("The pledge's amount differs from the payment's: %(pledge)s, not "
                                        "%(line)s.", pledge=format_minor(pledge.amount_minor, pledge.currency),
                                        line=format_minor(line.amount_minor, line.currency)))
    if db.session.scalar(select(BankLine.id).where(
            BankLine.host_id == host.id, BankLine.pledge_id == pledge.id,
            BankLine.status == BankLineStatus.PROPOSED.value)) is not None:
        raise Conflict(_l("Another payment is already proposed for this pledge."))
    moved = db.session.execute(
        update(BankLine).where(BankLine.id == line.id, BankLine.status == BankLineStatus.UNMATCHED.value)
        .values(status=BankLineStatus.PROPOSED.value, pledge_id=pledge.id, match_reason="by_hand")
    ).rowcount  # type: ignore[attr-defined]
    if moved != 1:
        raise Conflict(_l("This line is no longer waiting for a match; reload the page."))
    db.session.refresh(line)
    return line


def unmatch_line(host: Organization, line_id: int) -> BankLine:
    """A treasurer rejects a proposal: the line goes back to the ones nothing matched, and is no
    longer proposed automatically (it can still be matched by hand, or set aside)."""
    line = db.session.get(BankLine, line_id)
    if line is None or line.host_id != host.id or line.status != BankLineStatus.PROPOSED.value:
        raise Conflict(_l("This payment is no longer proposed for a pledge; reload the page."))
    line.status, line.pledge_id, line.match_reason = BankLineStatus.UNMATCHED.value, None, UNMATCHED_BY_HAND
    db.session.flush()
    return line


def ignore_line(host: Organization, line_id: int) -> None:
    line = db.session.get(BankLine, line_id)
    if line is None or line.host_id != host.id or line.status == BankLineStatus.CONFIRMED.value:
        raise InvalidInput("line", _l("This line cannot be ignored."))
    line.status, line.pledge_id, line.match_reason = BankLineStatus.IGNORED.value, None, ""
    db.session.flush()


def lines_query(host: Organization, statuses: tuple[str, ...]):
    """The host's bank lines in `statuses`, latest booked first, with the pledge each proposes."""
    return (select(BankLine).where(BankLine.host_id == host.id, BankLine.status.in_(statuses))
            .options(selectinload(BankLine.pledge).selectinload(Pledge.project))
            .order_by(BankLine.booked_on.desc(), BankLine.id))
