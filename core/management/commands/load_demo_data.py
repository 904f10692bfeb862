from django.core.management.base import BaseCommand, CommandError

from core.db_roles import as_owner
from core.demo import DemoBuilder
from core.demo_scale import ScaleBuilder, ScalePlan


class Command(BaseCommand):
    help = "Create a realistic demo data set and print the demo logins; --scale adds a large synthetic one."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--scale",
            type=float,
            default=None,
            help="Also generate a synthetic benchmark data set; 1.0 = 20,000 sponsors, "
            "1,000,000 engagements, 3,000,000 activities, 500,000 follow-ups, 2,000 providers "
            "(0.01 = one hundredth of that).",
        )

    def handle(self, *args, seed: int, scale: float | None, **options):
        summary = DemoBuilder(seed=seed).build()
        counts = ", ".join(f"{n} {k}" for k, n in summary.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {counts}"))
        if scale is not None:
            if not 0 < scale <= 5:
                raise CommandError("--scale must be greater than 0 and at most 5.")
            plan = ScalePlan.at(scale)
            self.stdout.write(f"Generating the scale data set: {plan}")
            # Synthetic rows switch the audit triggers off for the load: only the owner may.
            with as_owner():
                ScaleBuilder(scale=scale, seed=seed, progress=self.stdout.write).build()
        self.stdout.write("Demo logins (local use only):")
        for role, email, password in summary.logins:
            self.stdout.write(f"  {role:<45} {email:<45} {password}")
