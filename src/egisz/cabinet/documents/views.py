import logging

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from egisz.cabinet.documents import selectors, services, storage
from egisz.cabinet.documents.responses import attachment_response
from egisz.cabinet.patients.access import patient_required
from egisz.common.request_meta import RequestMeta

logger = logging.getLogger(__name__)


@require_GET
@patient_required
def download(request, pk: int, *, patient):
    """«Скачать»: the patient's own document (current or archived), byte for byte."""
    document = get_object_or_404(
        selectors.patient_documents(patient=patient).select_related("patient"), pk=pk
    )
    try:
        content = services.read_document(
            document=document, reader=request.user, meta=RequestMeta.from_request(request)
        )
    except storage.BlobMissing as exc:
        logger.error("document %s: blob missing or altered", document.pk)
        raise Http404(_("Файл документа не найден.")) from exc
    return attachment_response(document, content)
