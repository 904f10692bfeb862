"""Access control is proven for every route, and a new route without proof fails the suite.

API routes are matched against the access matrix in tests/api/test_access_matrix.py (every
method, every principal, another sponsor's object = 404). Portal routes that take an object are
each tried here with another sponsor's object, on every method, and must answer 404.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessments import reports
from tests.api.test_access_matrix import GLOBAL, SCOPED_COLLECTION, SCOPED_DETAIL
from tests.factories import EngagementFactory, MembershipFactory, SponsorFactory, submitted_assessment

NOT_TENANT_API_ROUTES = {"schema", "swagger-ui", "redoc"}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner.strip(":"))
        elif isinstance(entry, URLPattern):
            yield namespace, prefix + str(entry.pattern), entry


def _template(regex: str) -> str:
    path = regex.replace("^", "").replace("$", "").replace("\\.(?P<format>[a-z0-9]+)/?", "")
    path = re.sub(r"\(\?P<[^>]+>[^)]*\)", "{pk}", path)
    path = re.sub(r"<[^>]+>", "{pk}", path)
    return "/" + path.split("api/v1/", 1)[-1]


def api_operations() -> set[tuple[str, str]]:
    found = set()
    for namespace, pattern, entry in _walk(get_resolver().url_patterns):
        if namespace != "api" or entry.name in NOT_TENANT_API_ROUTES or "format" in pattern:
            continue
        view = entry.callback
        allowed = set(getattr(view.cls, "http_method_names", []))
        for method in getattr(view, "actions", {}):
            # PUT is switched off (PATCH only); HEAD is answered by the GET handler itself
            if method in allowed and method not in {"put", "head"}:
                found.add((method, _template(pattern)))
    return found


def test_every_api_route_and_method_is_in_the_access_matrix():
    covered = {(op.method, op.path) for op in [*SCOPED_DETAIL, *SCOPED_COLLECTION, *GLOBAL]}
    routes = api_operations()
    assert len(routes) > 60  # the walk found the API (an empty walk would prove nothing)
    assert ("post", "/engagements/{pk}/transition/") in routes
    missing = sorted(routes - covered)
    assert not missing, f"API routes without access-control tests (add them to the matrix): {missing}"


# --- Portal -------------------------------------------------------------------------------------


def _submitted(other):
    return submitted_assessment(sponsor=other)


def _report(other):
    report = reports.request_report(assessment=submitted_assessment(sponsor=other))
    reports.generate(report.pk, worker_token="t")
    return report


# url name -> how to make the other sponsor's object, and the arguments after its id
PORTAL_OBJECT_ROUTES = {
    "engagement": (lambda other: EngagementFactory(sponsor=other), []),
    "assessment": (_submitted, []),
    "assessment_section": (_submitted, [1]),
    "assessment_review": (_submitted, []),
    "assessment_submit": (_submitted, []),
    "recommendation": (_submitted, []),
    "what_if": (_submitted, []),
    "report_request": (_submitted, []),
    "report_download": (_report, []),
}
PORTAL_ROUTES_WITHOUT_OBJECTS = {
    "dashboard",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",  # takes a signed token, not a tenant object
    "password_reset_complete",
    "two_factor_setup",
    "two_factor_verify",
    "two_factor_enrol",  # takes a one-time set-up token for the signed-in person only
    "switch_sponsor",
}


def test_every_portal_route_is_accounted_for():
    names = {
        entry.name for namespace, _, entry in _walk(get_resolver().url_patterns) if namespace == "portal"
    }
    unaccounted = names - set(PORTAL_OBJECT_ROUTES) - PORTAL_ROUTES_WITHOUT_OBJECTS
    assert not unaccounted, f"Portal routes without access-control tests: {sorted(unaccounted)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PORTAL_OBJECT_ROUTES))
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_sponsors_object_is_not_found_on_every_portal_route(client, name, method):
    member = MembershipFactory(role="admin")
    make, extra = PORTAL_OBJECT_ROUTES[name]
    foreign = make(SponsorFactory(name="Someone Else Bio"))
    client.force_login(member.user)
    response = getattr(client, method)(reverse(f"portal:{name}", args=[foreign.pk, *extra]))
    # 404 for the object; 405 only where the route does not take this method at all (the object
    # is never looked at then, so nothing is revealed).
    assert response.status_code in (404, 405), response.status_code
    if response.status_code == 405:
        other_method = "post" if method == "get" else "get"
        assert (
            getattr(client, other_method)(reverse(f"portal:{name}", args=[foreign.pk, *extra])).status_code
            == 404
        )
