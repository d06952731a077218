"""Form widgets of the sites' own look."""

from django import forms


class FileInput(forms.FileInput):
    """A file input with the page's own button («Выбрать файл») and the chosen file's name.

    The browser's control speaks the browser's language («Choose File» in an English-language
    browser, on a Russian page) and cannot be styled, so it is visually hidden (it stays
    focusable, and its focus is drawn on the button); its label, styled as a button, opens
    the file chooser with or without JavaScript. site.js shows the chosen file's name.
    """

    template_name = "ui/widgets/file_input.html"

    def __init__(self, attrs=None):
        attrs = dict(attrs or {})
        attrs["class"] = " ".join(filter(None, [attrs.get("class"), "visually-hidden"]))
        super().__init__(attrs)
