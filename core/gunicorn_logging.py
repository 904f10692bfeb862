"""gunicorn's access log without one-time tokens (see core.security_log.redact).

Password-reset, invitation and two-factor set-up links carry their token in the path; the
access log would otherwise keep it for as long as logs are kept.
"""

from gunicorn.glogging import Logger

from core.security_log import redact

_URL_ATOMS = (
    "r",
    "U",
    "q",
    "f",
    "{raw_uri}e",
    "{path_info}e",
    "{query_string}e",
    "{http_referer}e",
    "{referer}i",
)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in _URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        return atoms
