"""The admin's signing page: a signed act asks for its meaning, a comment, the signer's password
and a current second-factor code at the moment of signing (core/signatures.py)."""

from collections.abc import Callable

from django import forms
from django.template.response import TemplateResponse

from core.admin_tools import add_application_error
from core.errors import ApplicationError


class SignatureForm(forms.Form):
    meaning = forms.ChoiceField(label="What your signature means", widget=forms.RadioSelect)
    comment = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 4, "cols": 70}), max_length=500, required=False
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, meanings, comment_label: str, comment_help: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meaning"].choices = meanings
        if len(meanings) == 1:
            self.fields["meaning"].initial = meanings[0][0]
        self.fields["comment"].label = comment_label
        self.fields["comment"].help_text = comment_help


def sign_view(
    request,
    *,
    admin_site,
    title: str,
    intro: str,
    record_label: str,
    meanings,
    perform: Callable[[dict], None],
    done: Callable[[], object],
    cancel_url: str,
    comment_label: str = "Comment",
    comment_help: str = "",
    breadcrumbs: list[tuple[str, str]] = (),
):
    """GET: the form. POST: sign through `perform(cleaned_data)`; refusals (wrong password or
    code, a record that cannot be signed) come back on the form with 400 and change nothing."""
    form = SignatureForm(
        request.POST or None, meanings=meanings, comment_label=comment_label, comment_help=comment_help
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                perform(form.cleaned_data)
            except ApplicationError as refusal:
                add_application_error(form, refusal)
            else:
                return done()
        status = 400
    context = {
        **admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "record_label": record_label,
        "form": form,
        "cancel_url": cancel_url,
        "breadcrumbs": breadcrumbs,
    }
    return TemplateResponse(request, "admin/sign.html", context, status=status)
