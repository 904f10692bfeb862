"""Scoring throughput: assessments scored per second in process, with a 200-provider catalog.

    .venv/bin/python bench/scoring.py [--providers 200] [--assessments 2000]

Prints, as assessments/s and per-assessment latency: the scores alone (model, scores, confidence);
the fully explained recommendation (drivers with their sentences, per-function plan, boutique fit,
AI readiness); and everything a submit stores (explained recommendation, provider shortlist with
reasons, JSON snapshot). Uses the reference questionnaire
from the configured database (run `manage.py migrate` first).
"""

import argparse
import random
import statistics
import time

from _setup import django_setup, percentile

django_setup()

from assessments import selectors  # noqa: E402
from assessments.engine import SponsorContext, recommend  # noqa: E402
from assessments.matching import ProviderProfile  # noqa: E402
from assessments.scoring import recommend_model  # noqa: E402


def synthetic_providers(n: int, config, rng: random.Random) -> list[ProviderProfile]:
    functions = [f.code for f in config.functions]
    areas = list(config.question("therapeutic_areas").choices)
    ai = list(config.question("ai_capabilities_needed").choices)
    regions = ["north_america", "latin_america", "europe", "middle_east_africa", "asia_pacific"]
    kinds = ["full_service_cro", "fsp", "boutique_cro"]
    return [
        ProviderProfile(
            id=f"p{i}",
            name=f"Provider {i:04d}",
            kind=kinds[i % 3],
            regions=frozenset(rng.sample(regions, rng.randint(1, 5))),
            ai_capabilities=frozenset(rng.sample(ai, rng.randint(0, 4))),
            senior_access=rng.randint(1, 5),
            data_governance_maturity=rng.randint(1, 5),
            engagement_models=frozenset(rng.sample(["full_service", "fsp", "hybrid"], rng.randint(1, 3))),
            capabilities={
                f: (rng.randint(1, 5), rng.randint(5, 200)) for f in rng.sample(functions, rng.randint(3, 14))
            },
            expertise={a: rng.randint(1, 5) for a in rng.sample(areas, rng.randint(1, 5))},
        )
        for i in range(n)
    ]


def random_answers(config, rng: random.Random) -> dict:
    answers = {}
    for question in config.questions:
        if question.kind == "scale":
            answers[question.code] = rng.randint(1, 5)
        elif question.kind == "single":
            answers[question.code] = rng.choice(question.choices)
        elif question.kind == "multi":
            answers[question.code] = rng.sample(
                question.choices, rng.randint(1, min(5, len(question.choices)))
            )
        elif question.kind == "boolean":
            answers[question.code] = rng.random() < 0.5
        elif question.kind == "matrix":
            answers[question.code] = {c: rng.randint(0, 3) for c in question.choices}
    return answers


def measure(label: str, fn, inputs) -> None:
    timings = []
    started = time.perf_counter()
    for item in inputs:
        t0 = time.perf_counter()
        fn(item)
        timings.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    print(
        f"{label:<34} {len(inputs) / elapsed:>10,.0f}/s   mean {statistics.mean(timings):6.3f} ms"
        f"   p50 {percentile(timings, 50):6.3f} ms   p95 {percentile(timings, 95):6.3f} ms"
        f"   p99 {percentile(timings, 99):6.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--assessments", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(42)
    config = selectors.engine_config(selectors.latest_published_questionnaire())
    providers = synthetic_providers(args.providers, config, rng)
    inputs = [random_answers(config, rng) for _ in range(args.assessments)]
    all_regions = ("north_america", "latin_america", "europe", "middle_east_africa", "asia_pacific")
    context = SponsorContext(regions=("europe", "north_america"), all_regions=all_regions, names={})
    print(f"{args.assessments} random assessments, {args.providers} providers")
    measure("scores, model, confidence", lambda a: recommend_model(config, a), inputs)
    measure("fully explained (drivers, plan...)", lambda a: recommend_model(config, a).explained(), inputs)
    measure(
        f"explained + shortlist of {args.providers} (stored)",
        lambda a: recommend(config, a, context=context, providers=providers).snapshot(),
        inputs,
    )


if __name__ == "__main__":
    main()
