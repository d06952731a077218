from django import forms

from egisz.cabinet.notifications.events import CHANNELS, EVENT_TYPES


def field_name(event: str, channel: str) -> str:
    return f"{event}__{channel}"


class PreferencesForm(forms.Form):
    """One tick per event and channel; mandatory events are shown ticked and fixed."""

    def __init__(self, *args, current: dict[str, set[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for key, event in EVENT_TYPES.items():
            row = []
            for channel, channel_label in CHANNELS.items():
                name = field_name(key, channel)
                self.fields[name] = forms.BooleanField(
                    label=f"{event.label}: {channel_label}",
                    required=False,
                    initial=event.mandatory or channel in current.get(key, set()),
                    disabled=event.mandatory,
                )
                row.append((channel_label, self[name]))
            self.rows.append((event, row))

    def chosen(self) -> dict[str, set[str]]:
        return {
            key: {ch for ch in CHANNELS if self.cleaned_data.get(field_name(key, ch))}
            for key in EVENT_TYPES
        }
