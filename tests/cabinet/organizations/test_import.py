"""Import of the directory: idempotent by OID, every rejected row reported with its reason."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from egisz.cabinet.organizations.demo import demo_organization_rows, load_demo_organizations
from egisz.cabinet.organizations.importfile import ImportFileError, parse_organizations
from egisz.cabinet.organizations.models import MedicalOrganization
from egisz.cabinet.organizations.services import import_organizations
from egisz.common.audit.models import AuditEvent

from .conftest import org_row

pytestmark = pytest.mark.django_db

HEADER = "oid;full_name;short_name;kind;region;address;phone;hours"


def csv_line(row: dict, delimiter=";") -> str:
    keys = HEADER.split(";")
    return delimiter.join(f'"{row[key]}"' if delimiter in row[key] else row[key] for key in keys)


def test_rows_are_created_then_a_second_run_changes_nothing():
    rows = [org_row(1), org_row(2)]
    first = import_organizations(rows)
    assert (first.created, first.updated, first.unchanged, first.rejected) == (2, 0, 0, [])
    stamp = MedicalOrganization.objects.get(oid=rows[0]["oid"]).updated_at

    second = import_organizations(rows)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert not second.changed
    assert str(second) == "Добавлено: 0, обновлено: 0, без изменений: 2, отклонено: 0."
    assert MedicalOrganization.objects.count() == 2
    assert MedicalOrganization.objects.get(oid=rows[0]["oid"]).updated_at == stamp


def test_a_changed_row_updates_the_organisation_found_by_oid():
    import_organizations([org_row(1)])
    report = import_organizations([org_row(1, short_name="ГП № 1 (филиал)", is_active="нет")])
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    organization = MedicalOrganization.objects.get(oid=org_row(1)["oid"])
    assert organization.short_name == "ГП № 1 (филиал)"
    assert organization.is_active is False
    assert "филиал" in organization.search_text


def test_values_are_normalised():
    report = import_organizations(
        [
            org_row(
                1,
                kind="Детская поликлиника",
                region="Москва",
                phone="8 (495) 123-45-67",
                full_name="  ГБУЗ   «Детская\tполиклиника»  ",
            ),
            org_row(2, region="7", kind="ФАП", phone=""),
        ]
    )
    assert report.rejected == []
    first = MedicalOrganization.objects.get(oid=org_row(1)["oid"])
    assert (first.kind, first.region, first.phone) == ("children_polyclinic", "77", "+74951234567")
    assert first.full_name == "ГБУЗ «Детская поликлиника»"
    second = MedicalOrganization.objects.get(oid=org_row(2)["oid"])
    assert (second.kind, second.region, second.phone) == ("fap", "07", "")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"oid": ""}, "не заполнены обязательные поля: oid"),
        ({"full_name": " ", "address": ""}, "не заполнены обязательные поля: full_name, address"),
        ({"oid": "1.2.3.4"}, "OID «1.2.3.4» указан неверно"),
        ({"oid": "1.2.643.05.1"}, "указан неверно"),
        ({"oid": "1.2.643."}, "указан неверно"),
        ({"oid": "1.2.643.5.x"}, "указан неверно"),
        ({"region": "99"}, "неизвестный код региона «99»"),
        ({"region": "Атлантида"}, "неизвестный код региона"),
        ({"kind": "санаторий"}, "неизвестный тип организации «санаторий»"),
        ({"phone": "позвоните нам"}, "телефон «позвоните нам»"),
        ({"phone": "+1 212 555 0100"}, "нужен российский номер"),
        ({"phone": "+7 000 000-00-00"}, "такого номера телефона не бывает"),
        ({"short_name": "Щ" * 256}, "поле short_name длиннее 255 символов"),
        ({"full_name": "Я" * 501}, "поле full_name длиннее 500 символов"),
        ({"hours": "круглосуточно " * 20}, "поле hours длиннее 255 символов"),
        ({"address": "ул. \x00 Ленина"}, "в поле address недопустимые символы"),
        ({"is_active": "может быть"}, "поле is_active"),
        ({"region": ["77"]}, "поле region должно быть строкой"),
        ({"phone": True}, "поле phone должно быть строкой"),
    ],
)
def test_every_bad_row_is_rejected_with_its_reason_and_the_rest_load(overrides, reason):
    rows = [org_row(1), org_row(2, **overrides), org_row(3)]
    report = import_organizations(rows)
    assert report.created == 2
    assert len(report.rejected) == 1
    rejection = report.rejected[0]
    assert rejection.number == 2
    assert reason in rejection.reason
    assert MedicalOrganization.objects.count() == 2


def test_a_row_that_is_not_an_object_is_rejected():
    report = import_organizations([org_row(1), "ГП № 2", None])
    assert report.created == 1
    assert [r.number for r in report.rejected] == [2, 3]
    assert "объектом" in report.rejected[0].reason


def test_an_oid_repeated_in_the_file_is_rejected_the_first_time_wins():
    report = import_organizations([org_row(1), org_row(1, short_name="Другое")])
    assert report.created == 1
    assert report.rejected[0].number == 2
    assert "уже встречался в файле (строка 1)" in report.rejected[0].reason
    assert MedicalOrganization.objects.get().short_name == "ГП № 1 ДЗМ"


def test_the_import_is_journalled():
    import_organizations([org_row(1), org_row(2, oid="bad")], source="frmo.csv")
    event = AuditEvent.objects.get(action="cabinet.organizations_imported")
    assert event.details == {
        "source": "frmo.csv",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }


# --- Files --------------------------------------------------------------------------------


def test_csv_with_bom_and_semicolons():
    text = "\n".join([HEADER, csv_line(org_row(1)), csv_line(org_row(2, oid="oops"))])
    rows = parse_organizations(("\ufeff" + text).encode())
    report = import_organizations(rows)
    assert report.created == 1
    # The number of a CSV row is its line in the file (the header is line 1).
    assert [r.number for r in report.rejected] == [3]


def test_csv_with_commas_quotes_and_crlf():
    header = HEADER.replace(";", ",")
    row = org_row(1, address="117001, г. Москва, ул. Профсоюзная, д. 1")
    text = "\r\n".join([header, csv_line(row, ","), ""])
    report = import_organizations(parse_organizations(text.encode()))
    assert report.created == 1
    assert MedicalOrganization.objects.get().address == row["address"]


def test_csv_header_names_are_case_blind_and_optional_columns_may_be_absent():
    header = "OID;Full_Name;SHORT_NAME;kind;region;address"
    line = ";".join(org_row(1)[key] for key in header.lower().split(";"))
    report = import_organizations(parse_organizations(f"{header}\n{line}\n\n".encode()))
    assert report.created == 1
    assert MedicalOrganization.objects.get().phone == ""


def test_csv_row_with_a_wrong_number_of_values_is_rejected():
    good = csv_line(org_row(1))
    text = "\n".join([HEADER, good, good.rsplit(";", 2)[0], csv_line(org_row(3)) + ";лишнее"])
    report = import_organizations(parse_organizations(text.encode()))
    assert report.created == 1
    assert [r.number for r in report.rejected] == [3, 4]
    assert "в строке 6 значений, а в заголовке 8 столбцов" in report.rejected[0].reason


def test_json_list_of_objects():
    data = [org_row(1), {**org_row(2), "region": 16}, org_row(3, kind="морг")]
    report = import_organizations(parse_organizations(json.dumps(data).encode()))
    assert (report.created, [r.number for r in report.rejected]) == (2, [3])
    assert MedicalOrganization.objects.get(oid=org_row(2)["oid"]).region == "16"


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        (b"", "a.csv", "файл пуст"),
        (b"\xff\xfe\x00o\x00i\x00d", "a.csv", "нужна кодировка UTF-8"),
        (b"[{]", "a.json", "это не JSON"),
        (b'{"oid": "1.2.643.1"}', "a.json", "ожидается список объектов"),
        (b"name;address\n\xd0\x90;\xd0\x91\n", "a.csv", "в первой строке нет столбцов oid"),
        (
            (HEADER + ";oid\n").encode(),
            "a.csv",
            "столбец oid повторяется",
        ),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(raw, name, message):
    with pytest.raises(ImportFileError) as refusal:
        parse_organizations(raw, name=name)
    assert "Неверный формат файла" in refusal.value.message
    assert message in refusal.value.message


# --- The command ---------------------------------------------------------------------------


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_organizations", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_loads_a_csv_file_reports_rejections_and_is_idempotent(tmp_path):
    path = tmp_path / "frmo.csv"
    lines = [HEADER, csv_line(org_row(1)), csv_line(org_row(2, region="99")), csv_line(org_row(3))]
    path.write_text("\ufeff" + "\n".join(lines), encoding="utf-8")

    out, err = run(str(path))
    assert "Добавлено: 2, обновлено: 0, без изменений: 0, отклонено: 1." in out
    assert "Строка 3 отклонена: неизвестный код региона «99»" in err

    out, err = run(str(path))
    assert "Добавлено: 0, обновлено: 0, без изменений: 2, отклонено: 1." in out
    assert "Изменений нет" in out
    assert MedicalOrganization.objects.count() == 2


def test_command_loads_json_by_extension(tmp_path):
    path = tmp_path / "frmo.json"
    path.write_text(json.dumps([org_row(1)], ensure_ascii=False), encoding="utf-8")
    out, _err = run(str(path))
    assert "Добавлено: 1" in out
    assert "Справочник обновлён." in out


def test_command_names_json_objects_by_position(tmp_path):
    path = tmp_path / "frmo.json"
    path.write_text(json.dumps([org_row(1), org_row(2, oid="x")]), encoding="utf-8")
    _out, err = run(str(path))
    assert "Запись 2 отклонена: OID «x» указан неверно" in err


def test_command_strict_fails_on_rejected_rows(tmp_path):
    path = tmp_path / "frmo.json"
    path.write_text(json.dumps([org_row(1), org_row(2, oid="x")]), encoding="utf-8")
    with pytest.raises(CommandError, match="отклонённые строки"):
        run(str(path), "--strict")
    assert MedicalOrganization.objects.count() == 1


def test_command_refuses_a_missing_or_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="Не удалось прочитать файл"):
        run(str(tmp_path / "nope.csv"))
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(CommandError, match="Неверный формат файла"):
        run(str(broken))
    assert MedicalOrganization.objects.count() == 0


def test_command_exit_code_through_the_cli(tmp_path):
    """`egisz cabinet import-organizations FILE`: 1 and a message for an unreadable file."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "EGISZ_DEMO": "1",
        "EGISZ_CABINET_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "egisz.cli", "cabinet", "import-organizations", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Не удалось прочитать файл" in done.stderr


# --- Demo ------------------------------------------------------------------------------------


def test_demo_directory_is_big_varied_valid_and_idempotent():
    rows = demo_organization_rows()
    assert rows == demo_organization_rows()
    assert len(rows) >= 50
    assert len({row["region"] for row in rows}) >= 6
    assert {"77", "78", "50", "16", "54", "66"} <= {row["region"] for row in rows}
    first = load_demo_organizations()
    assert first.rejected == []
    assert first.created == len(rows)
    second = load_demo_organizations()
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(rows))
