"""Portal sign-in forms."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from core.lockout import AddressLimitMixin


class PortalAuthenticationForm(AddressLimitMixin, AuthenticationForm):
    """Sign-in for sponsors' people. Staff accounts belong to the admin, not the portal."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That e-mail address and password do not match an account. Check both and try again."
        ),
        "staff": "This is a staff account: please sign in to the admin instead.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_staff:
            raise forms.ValidationError(self.error_messages["staff"], code="staff")


class PortalPasswordResetForm(PasswordResetForm):
    """Password reset for portal members only (staff reset theirs through their administrator)."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if not user.is_staff)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("Enter the digits shown in your authenticator app.")
        return token
