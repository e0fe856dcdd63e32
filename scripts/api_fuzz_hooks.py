"""Schemathesis hooks for scripts/api-fuzz.sh.

GraphQL: a query refused for its input answers a top-level error with a client code
(`INVALID_INPUT`, `NOT_FOUND`, ...), as docs/API.md documents; schemathesis's own
`not_a_server_error` counts every such error as a resolver failure (ST113). This check fails
only what is a server fault: an HTTP 5xx, or a GraphQL error that is `INTERNAL` or carries no
code at all (every error the hub sends must name one of `ErrorCode`).
"""

import schemathesis


@schemathesis.check
def no_server_fault(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    if "json" not in (response.headers.get("content-type") or [""])[0]:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code == "INTERNAL":
            raise AssertionError(f"a server fault, or an error without a code: {error}")
    return None
