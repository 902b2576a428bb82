"""Schemathesis checks for the GraphQL fuzz run of scripts/test.

Loaded through SCHEMATHESIS_HOOKS. schemathesis' own `not_a_server_error` also counts every
resolver error as a server failure (ST113), but a field failing with `not_found` or
`validation_failed` is this API's contract (API.md, GraphQL). So the run checks instead: no
5xx status, and no error whose `extensions.code` is `internal` (a 500 hidden in a 200) or
that has no code at all.
"""

import schemathesis


@schemathesis.check
def no_5xx_status(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"the server answered {response.status_code}: {response.text[:500]}")
    return None


@schemathesis.check
def no_internal_graphql_error(ctx, response, case):
    try:
        body = response.json()
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        extensions = error.get("extensions") or {}
        if extensions.get("code") == "internal":
            raise AssertionError(f"an internal error: {error}")
        if "code" not in extensions:
            raise AssertionError(f"an error without extensions.code: {error}")
    return None
