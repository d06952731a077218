"""Insurers (страховые медицинские организации, СМО) a patient picks from; «Другая» lets
them type the name of one not listed."""

from django.utils.translation import gettext_lazy as _

INSURERS: list[str] = [
    "АО «Страховая компания «СОГАЗ-Мед»",
    "ООО «Капитал МС»",
    "АО «МАКС-М»",
    "ООО «СК «Ингосстрах-М»",
    "АО «АльфаСтрахование-ОМС»",
    "ООО «СМК РЕСО-Мед»",
    "АО «Страховая компания «АСКОМЕД»",
]

OTHER = "other"
OTHER_LABEL = _("Другая")
