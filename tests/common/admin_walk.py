"""Walking every page of a site's operator console (the Django admin) and reading what an
operator would read there: the tests of both consoles use it to find English left on pages
that must speak Russian.

A page is read as a person sees it: the text of the document (the <title> included) and
the attributes a browser shows (title, placeholder, aria-label, the labels of buttons),
without scripts, styles and the contents of text areas (what an operator typed is data).
Latin words are allowed only where they are not words of the interface: addresses (URLs,
paths, e-mail), identifiers (with digits, dots, underscores or hyphens: client ids, OIDs,
audit actions, key ids), the names of technologies and standards Russian text uses as
they are (ALLOWED_WORDS), and whatever identifiers the site holds (usernames, client ids),
which each test passes in.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

# Names Russian text writes in Latin letters: standards, protocols, algorithms, formats,
# keys on a keyboard (Django's «Удерживайте “Control“ (или “Command“ на Mac)»), the languages'
# own names in the language menu. Acronyms joined to a Russian word («ID-токен», «IP-адрес»)
# are allowed anyway.
ALLOWED_WORDS = frozenset(
    {
        "OpenID",
        "Connect",
        "OAuth",
        "JWT",
        "JWKS",
        "PKCE",
        "OID",
        "URI",
        "URL",
        "HTTP",
        "HTTPS",
        "JSON",
        "CORS",
        "RFC",
        "RSA",
        "HMAC",
        "SHA",
        "SMS",
        "PDF",
        "JPG",
        "PNG",
        "Control",
        "Command",
        "Mac",
        "English",
    }
)

_VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label")
_BUTTON_INPUTS = ("submit", "button", "reset")
_HIDDEN_ELEMENTS = ("script", "style", "textarea", "template")
_LATIN = re.compile(r"[A-Za-z]")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# A secret shown masked: a few characters and stars, or an ellipsis and its last ones.
_MASKED = re.compile(r"\*|^…")
# Punctuation around a word: quotes, brackets, sentence marks.
_EDGES = "«»\"'“”„()[]{}<>,.;:!?…—–·|*"
# Identifiers: contain a digit, an underscore, a dot or an @ between characters, start with
# a slash or a scheme, or are lower-case words joined by hyphens (client ids).
_IDENTIFIER = re.compile(
    r"""
    ^(
        .*[0-9_@].*                       # digits, underscores, e-mail
      | [a-z][a-z0-9+.-]*://.*            # URL
      | /.*                               # path
      | .+\..+                            # dotted name (audit action, module path)
      | [a-z0-9]+(-[a-z0-9]+)+            # hyphenated identifier (client id)
    )$
    """,
    re.VERBOSE,
)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in _HIDDEN_ELEMENTS:
            self._hidden += 1
        for name in _VISIBLE_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name])
        if tag == "input" and values.get("type") in _BUTTON_INPUTS and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in _HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as one line, words separated by single spaces."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return " ".join(" ".join(reader.parts).split())


def latin_words(text: str, allowed: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """The Latin words of ``text`` that are neither allowed names nor identifiers."""
    found = set()
    for token in text.split():
        word = token.strip(_EDGES)
        if not word or not _LATIN.search(word) or _MASKED.search(token):
            continue
        if word in ALLOWED_WORDS or word in allowed or _IDENTIFIER.match(word):
            continue
        if _CYRILLIC.search(word) and all(run.isupper() for run in _LATIN_RUN.findall(word)):
            continue
        found.add(word)
    return found


def data_words(*values) -> set[str]:
    """The Latin words of data the site holds (identifiers, a journal's raw details): a
    site's test allows them on its pages."""
    return latin_words(" ".join(str(value) for value in values))


@dataclass
class Walk:
    """What a walk read: every URL opened, the pages that did not answer 200, the stray
    words found on each page, and the models whose first object's pages were opened."""

    opened: list[str] = field(default_factory=list)
    strays: dict[str, set[str]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    objects_opened: set[str] = field(default_factory=set)

    def report(self) -> str:
        lines = [f"{url}: HTTP {status}" for url, status in self.failures.items()]
        lines += [f"{url}: {', '.join(sorted(words))}" for url, words in self.strays.items()]
        return "\n".join(lines)


def _model_key(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _model_pages(model_admin, request, obj) -> list[str]:
    opts = model_admin.opts
    prefix = f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_"
    pages = [reverse(prefix + "changelist")]
    if model_admin.has_add_permission(request):
        pages.append(reverse(prefix + "add"))
    if obj is None:
        return pages
    pages.append(reverse(prefix + "change", args=[obj.pk]))
    pages.append(reverse(prefix + "history", args=[obj.pk]))
    if model_admin.has_delete_permission(request, obj):
        pages.append(reverse(prefix + "delete", args=[obj.pk]))
    # The admin's own pages of one object (a decision, a confirmation): every named URL the
    # model admin adds that takes the object's id.
    namespace, _colon, standard_prefix = prefix.partition(":")
    standard = {standard_prefix + view for view in ("change", "history", "delete")}
    for pattern in model_admin.get_urls():
        name = getattr(pattern, "name", None)
        if not name or name in standard or "object_id" not in pattern.pattern.converters:
            continue
        try:
            pages.append(reverse(f"{namespace}:{name}", args=[obj.pk]))
        except NoReverseMatch:
            continue
    return pages


def _changelist_links(html: str, changelist: str) -> list[str]:
    """Filter choices, date drill-down and pages of a list: its links that only change the
    query (sorting alone is the same page in another order, so it is left out)."""
    links = []
    for href in re.findall(r'href="(\?[^"]*)"', html):
        query = href.replace("&amp;", "&")
        params = [part.split("=", 1)[0] for part in query.lstrip("?").split("&") if part]
        if params and set(params) <= {"o"}:
            continue
        links.append(changelist + query)
    return list(dict.fromkeys(links))


def walk_admin(
    client: Client, user, *, site=admin.site, allowed: frozenset[str] | set[str] = frozenset()
) -> Walk:
    """Opens the console's index, each application's page and, for every registered model,
    its list (with every filter choice), add page, and the change, history, delete and own
    pages of its first object; records pages that do not answer 200 and Latin words."""
    request = RequestFactory().get("/")
    request.user = user
    walk = Walk()
    pages = [reverse(f"{site.name}:index")]
    pages += [
        reverse(f"{site.name}:app_list", kwargs={"app_label": label})
        for label in sorted({model._meta.app_label for model in site._registry})
    ]
    lists = set()
    for model, model_admin in site._registry.items():
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None:
            walk.objects_opened.add(_model_key(model))
        model_pages = _model_pages(model_admin, request, obj)
        lists.add(model_pages[0])
        pages += model_pages
    queue = list(dict.fromkeys(pages))
    seen = set()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        walk.opened.append(url)
        if response.status_code != 200:
            walk.failures[url] = response.status_code
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # a file the console hands out (a scan), not a page
        html = response.content.decode()
        words = latin_words(visible_text(html), allowed)
        if words:
            walk.strays[url] = words
        if url in lists:
            queue += _changelist_links(html, url)
    return walk
