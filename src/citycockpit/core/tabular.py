"""Read and write the tabular files government offices exchange: CSV, XLSX and YAML.

Rows come back as dicts keyed by normalised header, each with its 1-based line/row number, so every
importer can report "file, row, reason"."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import yaml

from citycockpit.core import expansion
from citycockpit.core.errors import Unprocessable
from citycockpit.core.text import xml_safe

MAX_IMPORT_BYTES = 50 * 1024 * 1024
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # every XLSX download
MAX_LISTED_ERRORS = 200  # an import's error list names this many problems, then says how many more
MAX_REASON_CHARS = 300  # a reason quoting a cell is cut here: 200 reasons stay a small answer
# OWASP "CSV injection": a spreadsheet program runs a cell that starts with one of these as a formula
# (=HYPERLINK(...) leaks data, =cmd|... runs programs), so user text starting with one is never written
# as a formula: CSV cells get a leading apostrophe, XLSX cells are typed as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def looks_like_formula(value: object) -> bool:
    """True for text a spreadsheet would run: it starts with a formula trigger and is not a plain
    number written as text (-12.5 stays a number)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _is_number_text(value)


def csv_cell(value: Any) -> Any:
    """A value as every CSV writer writes it (the one home of the rule): None as empty, numbers as
    numbers, text a spreadsheet would run as a formula behind an apostrophe (OWASP), which
    `unquote_csv_cell` removes again when our own importers read the file back."""
    if value is None:
        return ""
    if looks_like_formula(value):
        return "'" + value
    return value


def unquote_csv_cell(text: str) -> str:
    """Undo `csv_cell`'s apostrophe, so an exported CSV imports back as it was."""
    return text[1:].strip() if text.startswith("'") and looks_like_formula(text[1:]) else text


def append_xlsx_row(sheet: Any, values: Sequence[Any]) -> None:
    """Append a row to an openpyxl sheet as every XLSX writer does (the one home of the rule): None as
    empty, numbers as numbers, every text as a text cell (never a formula, whatever it starts with),
    marked with Excel's quote prefix when it starts with a formula trigger so editing the cell in Excel
    keeps it text."""
    values = [xlsx_value(v) for v in values]  # None as empty, text without what XML cannot hold
    sheet.append(values)
    row = sheet._current_row  # the row `append` just wrote
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            cell = sheet.cell(row, column)
            cell.data_type = "s"
            if value.startswith(FORMULA_TRIGGERS):
                cell.quotePrefix = True


@dataclass
class Row:
    file: str
    number: int
    values: dict[str, Any]
    sheet: str | None = None

    def text(self, key: str) -> str:
        """A cell as trimmed text: empty for a missing cell, `12` for Excel's 12.0, a date for a
        midnight datetime, ISO form for other instants."""
        value = self.values.get(key)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime):
            return value.date().isoformat() if value.time() == time(0) else value.isoformat()
        return str(value).strip()

    def error(
        self, reason: str, column: str | None = None, *, code: str | None = None, **params: Any
    ) -> RowError:
        return RowError(self.file, self.number, reason, self.sheet, column, code, params)

    def numeric(
        self,
        key: str,
        errors: list[RowError],
        *,
        low: float | None = None,
        high: float | None = None,
        above_zero: bool = False,
    ) -> float | None:
        """A cell as a number (None when empty). A cell that is not a number, or is outside `low`..`high`
        (or not above 0 with `above_zero`), adds its error (`not_a_number`, `out_of_range`,
        `not_positive`) to `errors` and reads as None."""
        raw = self.text(key)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            errors.append(self.error(f"{key} {raw!r} is not a number", code="not_a_number", value=raw))
            return None
        if above_zero and not value > 0:
            errors.append(self.error(f"{key} must be above 0, not {raw}", code="not_positive", value=raw))
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            errors.append(
                self.error(
                    f"{key} {value} is outside {low}..{high}",
                    code="out_of_range",
                    value=value,
                    low=low,
                    high=high,
                )
            )
            return None
        return value

    def where(self) -> str:
        place = f"{self.file}"
        if self.sheet:
            place += f" [{self.sheet}]"
        return f"{place} row {self.number}"


@dataclass
class RowError:
    """One problem of an import. `reason` is the English sentence (CLI, logs, the API's `reason`);
    `code` and `params`, when given, let a page say it in its own language (the i18n key
    `import.reason.<code>` with the params filled; web/i18n.py `row_error_text`)."""

    file: str
    row: int | None
    reason: str
    sheet: str | None = None
    column: str | None = None  # the column's header, when one column is at fault
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.reason) > MAX_REASON_CHARS:
            self.reason = self.reason[: MAX_REASON_CHARS - 1] + "…"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "row": self.row, "reason": self.reason}
        if self.sheet:
            out["sheet"] = self.sheet
        if self.column:
            out["column"] = self.column
        if self.code:
            out["reason_code"] = self.code
            out["params"] = {k: str(v) for k, v in self.params.items()}
        return out

    def __str__(self) -> str:
        place = self.file + (f" [{self.sheet}]" if self.sheet else "")
        if self.row:
            place += f" row {self.row}"
        if self.column:
            place += f" column {self.column}"
        return f"{place}: {self.reason}"


class ImportFailed(Unprocessable):
    """Raised when any row is bad; nothing of the file has been stored."""

    code = "import_failed"
    title = "Import failed"

    def __init__(self, errors: Sequence[RowError], *, what: str = "file", total: int | None = None) -> None:
        """`errors` are the problems found (at most MAX_LISTED_ERRORS are listed); `total` is how many
        there were in all, when the caller stopped keeping them."""
        total = max(total or 0, len(errors))
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {total - 5} more)" if total > 5 else ""
        listed = errors[:MAX_LISTED_ERRORS]
        super().__init__(
            f"{total} problem(s) in the {what}, nothing was imported: {shown}{more}",
            errors=[e.as_dict() for e in listed],
            error_count=total,
        )
        self.row_errors = list(listed)
        self.total = total


class ErrorList:
    """The problems of one import: keeps the first MAX_LISTED_ERRORS and counts the rest, so a file
    with a million bad rows costs no more memory than one with two hundred."""

    def __init__(self) -> None:
        self.kept: list[RowError] = []
        self.total = 0

    def add(self, error: RowError) -> None:
        self.total += 1
        if len(self.kept) < MAX_LISTED_ERRORS:
            self.kept.append(error)

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self, *, what: str = "file") -> None:
        if self.total:
            raise ImportFailed(self.kept, what=what, total=self.total)


@dataclass
class Table:
    name: str | None
    rows: list[Row] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


def first_occurrence(
    seen: dict[str, int], key: str, row: Row, errors: list[RowError], *, label: str = "code"
) -> bool:
    """Remember the row a key first appears on; a repeat adds a "duplicate" error naming that row."""
    if key in seen:
        errors.append(
            row.error(
                f"duplicate {label} {key} (first on row {seen[key]})",
                code="duplicate",
                key=key,
                first=seen[key],
            )
        )
        return False
    seen[key] = row.number
    return True


def require_columns(
    filename: str, missing: Sequence[str], *, sheet: str | None = None, what: str = "file", where: str = ""
) -> None:
    """Refuse a file whose header lacks `missing` columns (names as the file's users know them), with the
    reason code pages translate (`missing_columns`); nothing of it has been stored."""
    if missing:
        raise ImportFailed(
            [
                RowError(
                    filename,
                    1,
                    f"missing column(s) {', '.join(missing)}{where}",
                    sheet,
                    code="missing_columns",
                    params={"columns": "、".join(missing)},
                )
            ],
            what=what,
        )


def header_aliases(columns: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Header → key for (key, header) columns, each header with half-width parentheses also accepted
    with full-width ones (总投资（万元）), as Chinese spreadsheets often write them."""
    aliases = {header: key for key, header in columns}
    aliases.update(
        {header.replace("(", "（").replace(")", "）"): key for key, header in columns if "(" in header}
    )
    return aliases


def normalise_header(value: Any, aliases: dict[str, str]) -> str:
    text = str(value or "").strip().lstrip("\ufeff").strip()
    key = text.lower().replace(" ", "_")
    return aliases.get(text, aliases.get(key, key))


def _check_size(data: bytes, name: str) -> None:
    if not data:
        raise ImportFailed([RowError(name, None, "the file is empty", code="file_empty")])
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFailed(
            [
                RowError(
                    name,
                    None,
                    f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB",
                    code="file_too_large",
                    params={"mb": MAX_IMPORT_BYTES // 2**20},
                )
            ]
        )


def _check_lines(data: bytes, name: str) -> None:
    # Counting line ends is cheap and happens before any parsing: a file of millions of rows is refused
    # at once rather than after every row was checked (a quoted cell spanning lines only over-counts).
    expansion.check_rows(data.count(b"\n") - 1, name)


def text_codec(encoding: str, name: str) -> str:
    """The codec that decodes a CSV file said to be in `encoding` (UTF-8 skipping a byte-order mark),
    or ImportFailed naming the encoding when Python knows no such text encoding: every CSV reader
    here asks this first, so `?encoding=bogus` (or a bytes-to-bytes codec such as base64) is the
    uploader's error, never ours."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError, TypeError) as exc:
        raise ImportFailed([RowError(name, None, f"unknown text encoding {encoding[:40]!r}")]) from exc
    if not getattr(info, "_is_text_encoding", True):
        raise ImportFailed([RowError(name, None, f"{encoding[:40]!r} is not a text encoding")])
    return "utf-8-sig" if info.name == "utf-8" else info.name


def read_csv(data: bytes, name: str, aliases: dict[str, str], *, encoding: str = "utf-8") -> Table:
    _check_size(data, name)
    _check_lines(data, name)
    codec = text_codec(encoding, name)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("gb18030")
            hint = (
                " It looks like GBK/GB18030 (Excel's default on Chinese Windows): save it as "
                "'CSV UTF-8', or pass --encoding gb18030."
            )
        except UnicodeDecodeError:
            pass
        raise ImportFailed(
            [
                RowError(
                    name,
                    line,
                    f"the file is not valid {encoding} text.{hint}",
                    code="bad_text",
                    params={"encoding": encoding},
                )
            ]
        ) from exc
    reader = csv.reader(io.StringIO(text))
    table = Table(name=None)
    for number, record in enumerate(reader, start=1):
        if number == 1:
            table.headers = [normalise_header(h, aliases) for h in record]
            continue
        if not any(cell.strip() for cell in record):
            continue
        values = {
            h: (unquote_csv_cell(record[i].strip()) if i < len(record) else "")
            for i, h in enumerate(table.headers)
            if h
        }
        table.rows.append(Row(name, number, values))
    if not table.headers:
        raise ImportFailed([RowError(name, None, "the file has no header row", code="no_header")])
    return table


def _decode_error(name: str, encoding: str, line: int) -> ImportFailed:
    hint = (
        " It looks like GBK/GB18030 (Excel's default on Chinese Windows): save it as 'CSV UTF-8', or pass "
        "--encoding gb18030."
        if encoding.lower().replace("-", "") in ("utf8",)
        else ""
    )
    return ImportFailed(
        [
            RowError(
                name,
                line,
                f"the file is not valid {encoding} text.{hint}",
                code="bad_text",
                params={"encoding": encoding},
            )
        ]
    )


def stream_rows(
    data: bytes, name: str, aliases: dict[str, str], *, encoding: str = "utf-8"
) -> tuple[list[str], Iterator[Row]]:
    """The header keys of a CSV file or of an XLSX workbook's first sheet, and its non-blank rows one at
    a time (csv.reader over a decoding stream; openpyxl in read-only mode), so an importer holds one
    batch of rows, never the whole table. A decoding error raises ImportFailed when its line is read."""
    _check_size(data, name)
    kind = file_kind(name)
    if kind == "csv":
        _check_lines(data, name)
        stream = io.TextIOWrapper(io.BytesIO(data), encoding=text_codec(encoding, name), newline="")
        reader = csv.reader(stream)
        try:
            first = next(reader, None)
        except UnicodeDecodeError as exc:
            raise _decode_error(name, encoding, 1) from exc
        if first is None:
            raise ImportFailed([RowError(name, None, "the file has no header row", code="no_header")])
        headers = [normalise_header(h, aliases) for h in first]

        def csv_rows() -> Iterator[Row]:
            number = 1
            while True:
                try:
                    record = next(reader, None)
                except UnicodeDecodeError as exc:
                    raise _decode_error(name, encoding, reader.line_num + 1) from exc
                if record is None:
                    return
                number = reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                values = {
                    h: (unquote_csv_cell(record[i].strip()) if i < len(record) else "")
                    for i, h in enumerate(headers)
                    if h
                }
                yield Row(name, number, values)

        return headers, csv_rows()
    if kind != "xlsx":
        raise ImportFailed([RowError(name, None, "the file must be .csv or .xlsx", code="file_type")])
    from openpyxl import load_workbook

    expansion.check_zip(data, name)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        records = sheet.iter_rows(values_only=True)
        first_record = next(records, None)
    except Exception as exc:  # openpyxl raises many types for a broken zip or sheet
        raise ImportFailed(
            [
                RowError(
                    name, None, f"not a readable XLSX workbook ({exc.__class__.__name__})", code="bad_xlsx"
                )
            ]
        ) from exc
    if first_record is None:
        workbook.close()
        raise ImportFailed([RowError(name, None, "the file has no header row", code="no_header")])
    xlsx_headers = [normalise_header(h, aliases) for h in first_record]

    def xlsx_rows() -> Iterator[Row]:
        try:
            for number, record in enumerate(records, start=2):
                expansion.check_rows(number - 1, name)
                if record is None or not any(c not in (None, "") for c in record):
                    continue
                values: dict[str, Any] = {}
                for i, h in enumerate(xlsx_headers):
                    if not h:
                        continue
                    cell = record[i] if i < len(record) else None
                    values[h] = "" if cell is None else (cell.strip() if isinstance(cell, str) else cell)
                yield Row(name, number, values, sheet=sheet.title)
        finally:
            workbook.close()

    return xlsx_headers, xlsx_rows()


def read_xlsx(data: bytes, name: str, aliases: dict[str, str]) -> list[Table]:
    from openpyxl import load_workbook

    _check_size(data, name)
    expansion.check_zip(data, name)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip or sheet
        raise ImportFailed(
            [
                RowError(
                    name, None, f"not a readable XLSX workbook ({exc.__class__.__name__})", code="bad_xlsx"
                )
            ]
        ) from exc
    tables = []
    for sheet in workbook.worksheets:
        table = Table(name=sheet.title)
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            expansion.check_rows(number - 1, name)
            if number == 1:
                table.headers = [normalise_header(h, aliases) for h in record]
                continue
            if record is None or not any(c not in (None, "") for c in record):
                continue
            values = {}
            for i, h in enumerate(table.headers):
                if not h:
                    continue
                cell = record[i] if i < len(record) else None
                values[h] = "" if cell is None else (cell.strip() if isinstance(cell, str) else cell)
            table.rows.append(Row(name, number, values, sheet=sheet.title))
        tables.append(table)
    workbook.close()
    return tables


def read_yaml(data: bytes, name: str) -> Any:
    _check_size(data, name)
    try:
        return yaml.safe_load(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFailed([RowError(name, None, "the YAML file is not UTF-8 text")]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ImportFailed([RowError(name, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_value(value: Any) -> Any:
    """A cell's value as a workbook can hold it: text without the characters XML cannot carry
    (`core.text.xml_safe`; openpyxl refuses them, so a control character stored in a title would fail
    the whole export), None as an empty cell."""
    if value is None:
        return ""
    return xml_safe(value) if isinstance(value, str) else value


def write_xlsx(sheets: dict[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    default_sheet = workbook.active  # a new workbook starts with one empty sheet; ours are named
    if default_sheet is not None:
        workbook.remove(default_sheet)
    for title, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(title)
        append_xlsx_row(sheet, headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_xlsx_row(sheet, row)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def file_kind(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    kinds = {".csv": "csv", ".xlsx": "xlsx", ".yaml": "yaml", ".yml": "yaml"}
    if suffix not in kinds:
        raise ImportFailed(
            [
                RowError(
                    Path(path).name,
                    None,
                    f"unsupported file type {suffix or '(none)'}; use .csv, .xlsx or .yaml",
                )
            ]
        )
    return kinds[suffix]
