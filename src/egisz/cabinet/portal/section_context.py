"""Each section keeps its context: a section's list with a search, filters or a page number
is remembered, and the left menu leads back to it rather than to the bare list.

Only a section's own address with a query string is remembered (never another path, so a
menu link cannot lead elsewhere), only for GET pages answered 200, and only in a session
that already exists (a logged-in patient or limited mode): a passing visitor gets no
session for it. Opening the bare list forgets the stored one.
"""

from egisz.cabinet.portal.sections import SECTIONS

SESSION_KEY = "egisz_section_context"
MAX_REMEMBERED_LENGTH = 500


def _section_paths() -> dict[str, str]:
    return {section.url: section.key for section in SECTIONS}


def remembered_urls(request) -> dict[str, str]:
    session = getattr(request, "session", None)
    stored = session.get(SESSION_KEY) if session is not None else None
    return stored if isinstance(stored, dict) else {}


class SectionContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = None

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "GET" and response.status_code == 200:
            self._remember(request)
        return response

    def _remember(self, request) -> None:
        if self.paths is None:
            self.paths = _section_paths()
        key = self.paths.get(request.path)
        session = getattr(request, "session", None)
        if key is None or session is None or session.session_key is None:
            return
        stored = dict(remembered_urls(request))
        full_path = request.get_full_path()
        if request.GET and len(full_path) <= MAX_REMEMBERED_LENGTH:
            if stored.get(key) == full_path:
                return
            stored[key] = full_path
        elif key in stored:
            del stored[key]
        else:
            return
        session[SESSION_KEY] = stored
