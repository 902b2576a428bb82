"""Schemathesis hooks for the REST conformance runs of scripts/test.

Loaded through SCHEMATHESIS_HOOKS. A `cursor` is an opaque token the server signs and binds to
its query; a generated one can only be refused (`400`, which the tests of each list route
cover), so generated cursors are dropped and only the ones the API itself answered (the
stateful phase's links) are sent.
"""

import schemathesis


@schemathesis.hook
def map_query(ctx, query):
    if isinstance(query, dict) and "cursor" in query:
        query = {name: value for name, value in query.items() if name != "cursor"}
    return query
