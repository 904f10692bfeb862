"""Print a one-time two-factor set-up link for a person (the first administrator's way in).

Whoever can run management commands on the server is trusted with the database already; the
link is shown once, expires after ENROLMENT_LINK_HOURS, and is recorded like any other.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import enrolment
from core.models import EnrolmentChannel, User


class Command(BaseCommand):
    help = "Create a one-time link with which a person sets up their authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's e-mail address (their sign-in name).")

    def handle(self, *args, email: str, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active account signs in as {email!r}.")
        link = enrolment.create_link(user=user, by=None, channel=EnrolmentChannel.HANDED_OVER)
        path = enrolment.link_path(user, enrolment.new_token(link))
        self.stdout.write(
            f"Set-up link for {user.email} (works once, expires in {settings.ENROLMENT_LINK_HOURS} hours):\n"
            f"{settings.SITE_URL}{path}"
        )
