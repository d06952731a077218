"""Demo directory: a generated, deterministic set of medical organisations over several
regions, loaded through the same import service as a real ФРМО file (so a second load
changes nothing)."""

from dataclasses import dataclass

from egisz.cabinet.organizations.services import ImportReport, import_organizations

POLYCLINIC_HOURS = "пн–пт 8:00–20:00, сб 9:00–15:00"
CHILDREN_HOURS = "пн–пт 8:00–20:00, сб 9:00–14:00"
HOSPITAL_HOURS = "круглосуточно; справочная пн–пт 9:00–18:00"
DENTAL_HOURS = "пн–пт 8:00–21:00, сб 9:00–15:00"
DISPENSARY_HOURS = "пн–пт 8:00–18:00"
FAP_HOURS = "пн–пт 8:00–16:00, обед 12:00–13:00"


@dataclass(frozen=True)
class DemoRegion:
    code: str
    city: str
    postcode: int  # the first of the region's postcodes used here
    phone_code: str  # the area code, e.g. 495
    streets: tuple[str, ...]
    # (kind, full name, short name) with {n} for a number where the name has one
    organizations: tuple[tuple[str, str, str], ...]


def _numbered(kind: str, full: str, short: str, numbers) -> tuple[tuple[str, str, str], ...]:
    return tuple((kind, full.format(n=n), short.format(n=n)) for n in numbers)


REGIONS = (
    DemoRegion(
        "77",
        "г. Москва",
        117000,
        "495",
        (
            "ул. Профсоюзная",
            "Ленинский пр-т",
            "ул. Бутлерова",
            "Каширское ш.",
            "ул. Академика Янгеля",
            "Волгоградский пр-т",
            "ул. Новослободская",
        ),
        (
            *_numbered(
                "polyclinic",
                "ГБУЗ «Городская поликлиника № {n} ДЗМ»",
                "ГП № {n} ДЗМ",
                (2, 5, 12, 22, 46, 134),
            ),
            *_numbered(
                "children_polyclinic",
                "ГБУЗ «Детская городская поликлиника № {n} ДЗМ»",
                "ДГП № {n} ДЗМ",
                (7, 48, 133),
            ),
            (
                "hospital",
                "ГБУЗ «Городская клиническая больница № 52 ДЗМ»",
                "ГКБ № 52 ДЗМ",
            ),
            (
                "hospital",
                "ГБУЗ «Городская клиническая больница имени С. П. Боткина ДЗМ»",
                "ГКБ им. С. П. Боткина",
            ),
            (
                "dental",
                "ГАУЗ «Стоматологическая поликлиника № 9 ДЗМ»",
                "СП № 9 ДЗМ",
            ),
            (
                "dispensary",
                "ГБУЗ «Московский научно-практический центр дерматовенерологии и "
                "косметологии ДЗМ» (кожно-венерологический диспансер)",
                "МНПЦДК ДЗМ",
            ),
            (
                "maternity",
                "ГБУЗ «Городская клиническая больница № 29 им. Н. Э. Баумана ДЗМ», родильный дом",
                "Роддом при ГКБ № 29",
            ),
        ),
    ),
    DemoRegion(
        "78",
        "г. Санкт-Петербург",
        190000,
        "812",
        (
            "Невский пр-т",
            "ул. Савушкина",
            "пр. Просвещения",
            "Московский пр-т",
            "ул. Бухарестская",
            "Лиговский пр-т",
        ),
        (
            *_numbered(
                "polyclinic",
                "СПб ГБУЗ «Городская поликлиника № {n}»",
                "Поликлиника № {n} (СПб)",
                (3, 17, 37, 51, 96),
            ),
            *_numbered(
                "children_polyclinic",
                "СПб ГБУЗ «Детская городская поликлиника № {n}»",
                "ДГП № {n} (СПб)",
                (11, 35),
            ),
            (
                "hospital",
                "СПб ГБУЗ «Городская больница № 26»",
                "Городская больница № 26",
            ),
            (
                "womens_clinic",
                "СПб ГБУЗ «Женская консультация № 22»",
                "Женская консультация № 22",
            ),
            (
                "dental",
                "СПб ГБУЗ «Стоматологическая поликлиника № 6»",
                "Стоматологическая поликлиника № 6",
            ),
        ),
    ),
    DemoRegion(
        "50",
        "Московская область, г. Подольск",
        142100,
        "496",
        ("ул. Кирова", "ул. Революционный пр-т", "ул. Бородинская", "ул. Академика Доллежаля"),
        (
            (
                "hospital",
                "ГБУЗ МО «Подольская областная клиническая больница»",
                "Подольская ОКБ",
            ),
            (
                "polyclinic",
                "ГБУЗ МО «Подольская городская клиническая больница № 3», поликлиника № 1",
                "Поликлиника № 1 ПГКБ № 3",
            ),
            (
                "children_polyclinic",
                "ГБУЗ МО «Подольская детская городская больница», детская поликлиника № 2",
                "Детская поликлиника № 2 (Подольск)",
            ),
            (
                "dental",
                "ГАУЗ МО «Подольская стоматологическая поликлиника»",
                "Подольская стоматологическая поликлиника",
            ),
            (
                "womens_clinic",
                "ГБУЗ МО «Подольский перинатальный центр», женская консультация",
                "Женская консультация (Подольск)",
            ),
            (
                "dispensary",
                "ГБУЗ МО «Московский областной противотуберкулёзный диспансер», Подольский филиал",
                "МОПТД, Подольский филиал",
            ),
            (
                "polyclinic",
                "ГБУЗ МО «Климовская городская больница № 2», поликлиника",
                "Поликлиника Климовской ГБ № 2",
            ),
            (
                "fap",
                "ГБУЗ МО «Подольская областная клиническая больница», "
                "фельдшерско-акушерский пункт д. Сынково",
                "ФАП д. Сынково",
            ),
        ),
    ),
    DemoRegion(
        "16",
        "Республика Татарстан, г. Казань",
        420000,
        "843",
        ("ул. Баумана", "пр-т Победы", "ул. Чистопольская", "ул. Декабристов", "ул. Ершова"),
        (
            *_numbered(
                "polyclinic",
                "ГАУЗ «Городская поликлиника № {n}» г. Казани",
                "Городская поликлиника № {n} (Казань)",
                (7, 10, 21),
            ),
            (
                "children_polyclinic",
                "ГАУЗ «Детская городская поликлиника № 7» г. Казани",
                "ДГП № 7 (Казань)",
            ),
            (
                "hospital",
                "ГАУЗ «Городская клиническая больница № 7 им. М. Н. Садыкова» г. Казани",
                "ГКБ № 7 (Казань)",
            ),
            (
                "dispensary",
                "ГАУЗ «Республиканский клинический онкологический диспансер МЗ РТ "
                "им. проф. М. З. Сигала»",
                "РКОД МЗ РТ",
            ),
            (
                "dental",
                "ГАУЗ «Стоматологическая поликлиника № 9» г. Казани",
                "Стоматологическая поликлиника № 9 (Казань)",
            ),
            (
                "fap",
                "ГАУЗ «Высокогорская центральная районная больница», "
                "фельдшерско-акушерский пункт с. Чернышевка",
                "ФАП с. Чернышевка",
            ),
        ),
    ),
    DemoRegion(
        "54",
        "Новосибирская область, г. Новосибирск",
        630000,
        "383",
        ("Красный пр-т", "ул. Кирова", "ул. Римского-Корсакова", "ул. Ватутина"),
        (
            *_numbered(
                "polyclinic",
                "ГБУЗ НСО «Городская поликлиника № {n}»",
                "ГП № {n} (Новосибирск)",
                (1, 13, 29),
            ),
            (
                "hospital",
                "ГБУЗ НСО «Городская клиническая больница № 1»",
                "ГКБ № 1 (Новосибирск)",
            ),
            (
                "children_polyclinic",
                "ГБУЗ НСО «Детская городская клиническая больница № 4 имени В. С. Гераськова», "
                "поликлиника",
                "ДГКБ № 4 (Новосибирск)",
            ),
            (
                "womens_clinic",
                "ГБУЗ НСО «Родильный дом № 6», женская консультация",
                "Женская консультация роддома № 6",
            ),
        ),
    ),
    DemoRegion(
        "66",
        "Свердловская область, г. Екатеринбург",
        620000,
        "343",
        ("ул. Ленина", "ул. Малышева", "ул. Народной Воли", "ул. Бебеля", "ул. Сыромолотова"),
        (
            *_numbered(
                "polyclinic",
                "ГАУЗ СО «Центральная городская клиническая больница № {n} г. Екатеринбург», "
                "поликлиника",
                "ЦГКБ № {n} (Екатеринбург)",
                (3, 6),
            ),
            (
                "hospital",
                "ГАУЗ СО «Городская клиническая больница № 40 г. Екатеринбург»",
                "ГКБ № 40 (Екатеринбург)",
            ),
            (
                "children_polyclinic",
                "ГАУЗ СО «Детская городская клиническая больница № 11 г. Екатеринбург»",
                "ДГКБ № 11 (Екатеринбург)",
            ),
            (
                "dental",
                "ГАУЗ СО «Стоматологическая поликлиника № 12 г. Екатеринбург»",
                "Стоматологическая поликлиника № 12 (Екатеринбург)",
            ),
            (
                "dispensary",
                "ГАУЗ СО «Свердловский областной онкологический диспансер»",
                "СООД",
            ),
        ),
    ),
)

_HOURS = {
    "polyclinic": POLYCLINIC_HOURS,
    "children_polyclinic": CHILDREN_HOURS,
    "hospital": HOSPITAL_HOURS,
    "dental": DENTAL_HOURS,
    "dispensary": DISPENSARY_HOURS,
    "womens_clinic": CHILDREN_HOURS,
    "maternity": HOSPITAL_HOURS,
    "fap": FAP_HOURS,
}


def demo_organization_rows() -> list[dict]:
    """The rows of the demo directory, the same on every call."""
    rows = []
    for region in REGIONS:
        for index, (kind, full_name, short_name) in enumerate(region.organizations, start=1):
            street = region.streets[index % len(region.streets)]
            house = 3 + (index * 7) % 90
            region_number = int(region.code)
            exchange = 200 + (index * 37 + int(region.code)) % 700
            rows.append(
                {
                    "oid": f"1.2.643.5.1.13.13.12.2.{region_number}.{region_number}{index:02d}",
                    "full_name": full_name,
                    "short_name": short_name,
                    "kind": kind,
                    "region": region.code,
                    "address": (
                        f"{region.postcode + index * 3}, {region.city}, {street}, д. {house}"
                    ),
                    "phone": (
                        f"+7 ({region.phone_code}) {exchange}-"
                        f"{(index * 13) % 90 + 10:02d}-{(index * 29) % 90 + 10:02d}"
                    ),
                    "hours": _HOURS[kind],
                }
            )
    return rows


def load_demo_organizations() -> ImportReport:
    """Loads (or leaves as it is) the demo directory; called by the demo-data command."""
    return import_organizations(demo_organization_rows(), source="demo")
