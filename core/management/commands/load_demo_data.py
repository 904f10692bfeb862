from django.core.management.base import BaseCommand

from core.demo import DemoBuilder


class Command(BaseCommand):
    help = "Create a realistic demo data set (sponsors, providers, pipeline) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="Random seed (same seed, same data).")

    def handle(self, *args, seed: int, **options):
        summary = DemoBuilder(seed=seed).build()
        self.stdout.write(
            self.style.SUCCESS("Demo data ready: " + ", ".join(f"{n} {k}" for k, n in summary.counts.items()))
        )
        self.stdout.write("Demo logins (local use only):")
        for role, email, password in summary.logins:
            self.stdout.write(f"  {role:<45} {email:<45} {password}")
