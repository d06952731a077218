"""Reading a directory file (CSV or JSON) into rows for services.import_organizations.

CSV: UTF-8 with or without BOM, «;» or «,» (or tab) between fields, a header row with the
field names (oid;full_name;short_name;kind;region;address;phone;hours[;is_active]).
JSON: a list of objects with the same keys (or {"organizations": [...]}).
A file that cannot be read as either raises ImportFileError with the reason in Russian.
"""

import csv
import io
import json
from pathlib import Path

from django.utils.translation import gettext as _

from egisz.cabinet.organizations.services import (
    FIELDS,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    SourceRow,
)

MAX_FILE_BYTES = 200 * 1024 * 1024
KNOWN_COLUMNS = {*FIELDS, *OPTIONAL_FIELDS}


class FileRows(list):
    """The rows of a file, and whether they were CSV lines or JSON objects (for the words of
    the report: «строка 3» of a CSV file is its third line, «запись 3» the third object)."""

    def __init__(self, rows, *, format: str):
        super().__init__(rows)
        self.format = format


class ImportFileError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_organizations_file(path: str | Path) -> FileRows:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportFileError(_("Файл слишком большой."))
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(
            _("Не удалось прочитать файл %(path)s: %(reason)s")
            % {"path": path, "reason": error.strerror or error}
        ) from error
    return parse_organizations(raw, name=path.name)


def parse_organizations(raw: bytes, *, name: str = "") -> FileRows:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _("Неверный формат файла: нужна кодировка UTF-8 (ошибка в байте %(at)d).")
            % {"at": error.start}
        ) from error
    if not text.strip():
        raise ImportFileError(_("Неверный формат файла: файл пуст."))
    looks_like_json = text.lstrip()[:1] in ("[", "{")
    if name.lower().endswith(".json") or (looks_like_json and not name.lower().endswith(".csv")):
        return _parse_json(text)
    return _parse_csv(text)


def _parse_json(text: str) -> FileRows:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        line = getattr(error, "lineno", 0)
        raise ImportFileError(
            _("Неверный формат файла: это не JSON (строка %(line)d).") % {"line": line}
        ) from error
    if isinstance(data, dict) and isinstance(data.get("organizations"), list):
        data = data["organizations"]
    if not isinstance(data, list):
        raise ImportFileError(
            _("Неверный формат файла: в JSON ожидается список объектов организаций.")
        )
    rows = [SourceRow(number, item) for number, item in enumerate(data, start=1)]
    return FileRows(rows, format="json")


def _parse_csv(text: str) -> FileRows:
    header_line = text.splitlines()[0]
    delimiter = max(";,\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        columns = [column.strip().lower() for column in header]
        missing = [name for name in REQUIRED_FIELDS if name not in columns]
        if missing:
            raise ImportFileError(
                _(
                    "Неверный формат файла: в первой строке нет столбцов %(missing)s. "
                    "Первая строка должна называть поля: %(fields)s."
                )
                % {"missing": ", ".join(missing), "fields": ";".join(FIELDS)}
            )
        duplicated = sorted({name for name in columns if name and columns.count(name) > 1})
        if duplicated:
            raise ImportFileError(
                _("Неверный формат файла: столбец %(names)s повторяется.")
                % {"names": ", ".join(duplicated)}
            )
        rows = []
        line = reader.line_num
        for values in reader:
            number, line = line + 1, reader.line_num
            if not any(value.strip() for value in values):
                continue
            rows.append(_row(number, columns, values))
    except csv.Error as error:
        raise ImportFileError(
            _("Неверный формат файла: строка %(line)d не читается как CSV (%(reason)s).")
            % {"line": reader.line_num, "reason": error}
        ) from error
    return FileRows(rows, format="csv")


def _row(number: int, columns: list[str], values: list[str]) -> SourceRow:
    if len(values) != len(columns):
        problem = _(
            "в строке %(got)d значений, а в заголовке %(expected)d столбцов (проверьте "
            "разделители и кавычки)"
        ) % {"got": len(values), "expected": len(columns)}
        return SourceRow(number, {}, problem=problem)
    return SourceRow(number, {name: value for name, value in zip(columns, values, strict=True)})
