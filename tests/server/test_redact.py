"""The output filter that keeps the server's secrets out of guests' responses."""

from __future__ import annotations

from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from capella_share import policy
from capella_share.redact import SecretRedactor, transform_for

OWNER_TOKEN = "0123456789abcdef0123456789abcdef"
LINK_TOKEN = "csl_0123456789ab_" + "A" * 43


def _transform(principal: policy.Principal | None):
    request = HTTPServerRequest(
        start_line=RequestStartLine("GET", "/x", "HTTP/1.1"), headers=HTTPHeaders({"Host": "h"})
    )
    if principal is not None:
        request.capella_share_principal = principal
    redactor = SecretRedactor([OWNER_TOKEN], [b"c29tZS1jb29raWUtc2VjcmV0\n"])
    return transform_for(redactor)(request)


def test_a_secret_split_across_streamed_chunks_is_overwritten_in_place():
    body = b"a" * 100 + OWNER_TOKEN.encode() + b"b" * 50 + LINK_TOKEN.encode() + b"c"
    transform = _transform(policy.Principal(policy.Level.VIEW))
    headers = HTTPHeaders({"Content-Length": str(len(body))})
    cut = [110, 140, 200]  # both secrets straddle a chunk edge
    chunks = [body[a:b] for a, b in zip([0, *cut], [*cut, len(body)], strict=True)]
    _, headers, first = transform.transform_first_chunk(200, headers, chunks[0], False)
    out = first + b"".join(
        transform.transform_chunk(chunk, i == len(chunks) - 2) for i, chunk in enumerate(chunks[1:])
    )
    assert len(out) == len(body) and headers["Content-Length"] == str(len(body))
    assert OWNER_TOKEN.encode() not in out and b"csl_" not in out
    assert out.startswith(b"a" * 100) and out.endswith(b"c")


def test_a_link_token_is_cut_wherever_a_chunk_edge_splits_it():
    # the server's own secrets here are shorter than a link token: what is held
    # back between chunks must still cover a whole token
    body = b"a" * 100 + LINK_TOKEN.encode() + b"b" * 100
    for edge in range(101, 100 + len(LINK_TOKEN)):
        transform = _transform(policy.Principal(policy.Level.VIEW))
        headers = HTTPHeaders({"Content-Length": str(len(body))})
        _, _, first = transform.transform_first_chunk(200, headers, body[:edge], False)
        out = first + transform.transform_chunk(body[edge:], True)
        assert len(out) == len(body), edge
        assert LINK_TOKEN[4:12].encode() not in out and LINK_TOKEN[-12:].encode() not in out, edge


def test_a_whole_response_loses_its_secrets_and_its_length_follows():
    transform = _transform(None)  # nobody authenticated: filtered too
    body = f'<body data-jupyter-api-token="{OWNER_TOKEN}">'.encode()
    headers = HTTPHeaders({"Content-Length": str(len(body)), "Location": f"/x?token={OWNER_TOKEN}"})
    _, headers, out = transform.transform_first_chunk(200, headers, body, True)
    assert out == b'<body data-jupyter-api-token="">'
    assert headers["Content-Length"] == str(len(out)) and headers["Location"] == "/x?token="


def test_the_cookie_secret_in_any_of_its_forms_is_cut():
    transform = _transform(policy.Principal(policy.Level.FULL))
    raw = b"some-cookie-secret"
    body = b"|".join([b"c29tZS1jb29raWUtc2VjcmV0", raw, raw.hex().encode()])
    _, _, out = transform.transform_first_chunk(200, HTTPHeaders(), body, True)
    assert out == b"||"


def test_the_owners_responses_are_left_alone():
    transform = _transform(policy.OWNER)
    body = f'{{"token": "{OWNER_TOKEN}"}}'.encode()
    assert transform.transform_first_chunk(200, HTTPHeaders(), body, True)[2] == body


def test_every_classified_route_names_a_resource_of_the_table():
    assert set(policy.ROUTES.values()) <= set(policy.TABLE)
