"""Share links: the REST contract, owner-only management, hashed storage, bad input
and guest identities (the guests' own Lab workspaces: test_workspaces.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import pytest
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import PasswordIdentityProvider

from capella_share.authorizer import PolicyAuthorizerMixin
from capella_share.identity import GuestIdentityMixin
from capella_share.settings import LINKS_SETTING

LINKS = ("api", "capella-share", "links")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _post(fetch, body, **kwargs):
    raw = body if isinstance(body, bytes) else json.dumps(body)
    return fetch(*LINKS, method="POST", body=raw, **kwargs)


def _owner_cookie_name(provider, host: str) -> str:
    class _Request:
        pass

    request = _Request()
    request.host = host
    return provider.get_cookie_name(type("Handler", (), {"request": request})())


def _cookie_names(response) -> list[str]:
    return [c.split("=", 1)[0] for c in response.headers.get_list("Set-Cookie")]


# -- the contract ---------------------------------------------------------------------


async def test_creating_a_link_returns_its_token_once(fetch, jp_base_url):
    response = await _post(fetch, {"permission": "edit", "expires_in": 3600, "label": "Ada"})
    assert response.code == 201
    model = response.json()
    assert set(model) >= {"id", "label", "permission", "created", "expires_at", "url", "token"}
    assert model["permission"] == "edit"
    assert model["label"] == "Ada"
    assert ISO_UTC.match(model["created"]) and ISO_UTC.match(model["expires_at"])
    assert model["url"].endswith(f"{jp_base_url}lab?token={model['token']}")
    assert response.headers["Location"].endswith(f"api/capella-share/links/{model['id']}")
    # the link's own secret, never the owner's token
    assert model["token"].startswith("csl_")
    assert model["token"] != (await fetch("api", "me")).json()["identity"]["username"]


async def test_a_link_to_a_file_opens_it(fetch):
    model = (
        await _post(fetch, {"permission": "view", "expires_in": None, "path": "/dir/a b.ipynb"})
    ).json()
    assert model["path"] == "dir/a b.ipynb"
    assert "/lab/tree/dir/a%20b.ipynb?token=" in model["url"]
    assert model["expires_at"] is None


async def test_links_are_listed_without_tokens(fetch, make_link, capella):
    tokens = [(await make_link(level, label=level))[1] for level in ("view", "edit", "full")]
    response = await fetch(*LINKS)
    assert response.code == 200
    links = response.json()["links"]
    assert [link["permission"] for link in links] == ["view", "edit", "full"]
    for link in links:
        assert "token" not in link and "token_hash" not in link
        assert set(link) >= {"id", "label", "permission", "created", "expires_at", "connections"}
    for token in tokens:
        secret = token[len("csl_") + 12 + 1 :]  # the secret may itself contain "_"
        assert len(secret) == 43
        assert secret not in response.body.decode()


async def test_only_a_hash_of_each_token_is_kept(make_link, capella):
    made = [await make_link(level) for level in ("view", "edit", "full")]
    registry = capella.settings[LINKS_SETTING]
    kept = _strings_reachable_from(registry)
    for model, token in made:
        link = registry.get(model["id"])
        assert link.token_hash == hashlib.sha256(token.encode()).digest()
        assert token.encode() not in link.token_hash
        secret = token[len(f"csl_{model['id']}_") :]
        assert not [s for s in kept if secret in s], "a token is kept in the registry"
        assert secret not in repr(link)
        assert secret not in json.dumps(link.to_model())


def _strings_reachable_from(root) -> list[str]:
    """Every str (and bytes, decoded) reachable from ``root`` through containers,
    dataclasses and object attributes."""
    seen, found, stack = set(), [], [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, bytes):
            found.append(item.decode("latin-1"))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif dataclasses.is_dataclass(item):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif type(item).__module__.startswith("capella_share"):
            stack.extend(vars(item).values())
    return found


async def test_revoking_one_link_by_id(fetch, make_link):
    model, _ = await make_link("view")
    assert (await fetch(*LINKS, model["id"], method="DELETE")).code == 204
    assert (await fetch(*LINKS)).json()["links"] == []
    again = await fetch(*LINKS, model["id"], method="DELETE")
    assert again.code == 404
    assert model["id"] in again.json()["message"]


@pytest.mark.parametrize("level", ["view", "edit", "full"])
async def test_no_guest_manages_links(level, fetch, make_link):
    own, token = await make_link(level)
    other, _ = await make_link("view")
    for method, parts, body in [
        ("GET", LINKS, None),
        ("POST", LINKS, json.dumps({"permission": "full", "expires_in": None})),
        ("DELETE", (*LINKS, own["id"]), None),
        ("DELETE", (*LINKS, other["id"]), None),
        ("DELETE", LINKS, None),
    ]:
        response = await fetch(*parts, method=method, body=body, token=token)
        assert response.code == 403, (method, parts)
        assert response.json()["message"]
    assert len((await fetch(*LINKS)).json()["links"]) == 2


async def test_connections_are_listed(fetch, make_link, ws_connect):
    model, token = await make_link("view", label="Class of 2026")
    socket = await ws_connect("api", "capella-share", "session", "ws", token=token)
    links = (await fetch(*LINKS)).json()["links"]
    (connection,) = links[0]["connections"]
    assert connection["username"].startswith(f"guest-{model['id']}-")
    assert connection["display_name"] == "Class of 2026"
    assert ISO_UTC.match(connection["since"])
    socket.close()


async def test_a_renamed_guest_is_listed_under_its_new_name(fetch, make_link, ws_connect):
    model, token = await make_link("edit", label="Review team")
    socket = await ws_connect("api", "capella-share", "session", "ws", token=token)
    try:
        body = json.dumps({"display_name": "Ada"})
        renamed = await fetch("api", "me", method="PATCH", body=body, token=token)
        assert renamed.code == 200, renamed.body
        (connection,) = (await fetch(*LINKS)).json()["links"][0]["connections"]
        assert connection["display_name"] == "Ada"
        assert connection["username"] == f"guest-{model['id']}-api"
    finally:
        socket.close()


# -- bad input ------------------------------------------------------------------------

LONG_LABEL = "x" * 201

BAD_BODIES = {
    "unknown permission": ({"permission": "admin", "expires_in": 60}, "permission"),
    "null permission": ({"permission": None, "expires_in": 60}, "permission"),
    "list permission": ({"permission": ["view"], "expires_in": 60}, "permission"),
    "negative expiry": ({"permission": "view", "expires_in": -5}, "expires_in"),
    "zero expiry": ({"permission": "view", "expires_in": 0}, "expires_in"),
    "string expiry": ({"permission": "view", "expires_in": "60"}, "expires_in"),
    "boolean expiry": ({"permission": "view", "expires_in": True}, "expires_in"),
    "object expiry": ({"permission": "view", "expires_in": {"s": 1}}, "expires_in"),
    "NaN expiry": (b'{"permission": "view", "expires_in": NaN}', "expires_in"),
    "infinite expiry": (b'{"permission": "view", "expires_in": 1e400}', "expires_in"),
    "huge integer expiry": (
        b'{"permission": "view", "expires_in": 1' + b"0" * 400 + b"}",
        "expires_in",
    ),
    "huge negative integer expiry": (
        b'{"permission": "view", "expires_in": -1' + b"0" * 400 + b"}",
        "expires_in",
    ),
    "expiry beyond ten years": ({"permission": "view", "expires_in": 4e8}, "expires_in"),
    "label too long": ({"permission": "view", "expires_in": 60, "label": LONG_LABEL}, "label"),
    "label not a string": ({"permission": "view", "expires_in": 60, "label": 7}, "label"),
    "path escaping the root": ({"permission": "view", "path": "../etc/passwd"}, "path"),
    "path not a string": ({"permission": "view", "path": ["a"]}, "path"),
    "unknown field": ({"permission": "view", "expires_in": 60, "colour": "red"}, "colour"),
    "malformed JSON": (b'{"permission": "view",', "JSON"),
    "not UTF-8": (b'{"permission": "\xff"}', "JSON"),
    "JSON array": (b'["view"]', "object"),
    "JSON string": (b'"view"', "object"),
    "JSON null": (b"null", "object"),
}


@pytest.mark.parametrize(("body", "mentions"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_bad_link_requests_say_what_is_wrong(body, mentions, fetch):
    response = await _post(fetch, body)
    assert response.code == 400, response.body
    message = response.json()["message"]
    assert mentions in message
    assert (await fetch(*LINKS)).json()["links"] == []


async def test_a_label_of_200_characters_is_fine(fetch):
    label = "y" * 200
    response = await _post(fetch, {"permission": "view", "expires_in": 60, "label": label})
    assert response.code == 201
    assert response.json()["label"] == label


@pytest.mark.parametrize("link_id", ["0123456789ab", "not-a-link", "x" * 300, "%2e%2e"])
async def test_revoking_an_unknown_link_is_a_404(link_id, fetch, make_link):
    await make_link("view")
    response = await fetch(*LINKS, link_id, method="DELETE")
    assert response.code == 404
    assert "no active link" in response.json()["message"]
    assert len((await fetch(*LINKS)).json()["links"]) == 1


class TestMaximumLifetime:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config["CapellaShareApp"] = {"max_link_lifetime": 60}
        return jp_server_config

    async def test_links_must_expire_within_the_limit(self, fetch, capella):
        assert capella.max_link_lifetime == 60
        over = await _post(fetch, {"permission": "view", "expires_in": 61})
        assert over.code == 400
        assert "at most 60" in over.json()["message"]
        forever = await _post(fetch, {"permission": "view", "expires_in": None})
        assert forever.code == 400
        assert "expires_in is required" in forever.json()["message"]
        assert (await _post(fetch, {"permission": "view", "expires_in": 60})).code == 201


class TestLinksTurnedOff:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config["CapellaShareApp"] = {"allow_token_links": False}
        return jp_server_config

    async def test_no_link_can_be_made(self, fetch):
        response = await _post(fetch, {"permission": "view", "expires_in": 60})
        assert response.code == 403
        assert "allow_token_links" in response.json()["message"]
        assert "links" not in (await fetch("api", "capella-share", "info")).json()["features"]


class TestDefaultPermission:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config["CapellaShareApp"] = {"default_permission": "edit"}
        return jp_server_config

    async def test_a_link_without_permission_gets_the_default(self, fetch):
        response = await _post(fetch, {"expires_in": 60})
        assert response.code == 201
        assert response.json()["permission"] == "edit"


# -- guests ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["view", "edit", "full"])
async def test_a_guest_has_an_identity_of_its_own(level, fetch, make_link, guest_login):
    model, token = await make_link(level, label="Grace Hopper")
    owner = (await fetch("api", "me")).json()["identity"]
    browser = await guest_login(token)
    first = (await fetch("api", "me", headers=browser)).json()["identity"]
    again = (await fetch("api", "me", headers=browser)).json()["identity"]
    assert first["username"].startswith(f"guest-{model['id']}-")
    assert first["username"] == again["username"] != owner["username"]
    assert first["display_name"] == "Grace Hopper"
    assert "link_id" not in first and "permission" not in first
    you = (await fetch("api", "capella-share", "session", headers=browser)).json()["you"]
    assert you.pop("may")["manage"] is False  # what it may do: tests/server/test_info.py
    you.pop("kernels")  # the kernels it may not connect to: tests/server/test_kernels_off.py
    assert you == {
        "username": first["username"],
        "display_name": "Grace Hopper",
        "role": "guest",
        "permission": level,
        "scope": "",
    }
    assert (
        "token" not in (await fetch("api", "capella-share", "session", token=token)).body.decode()
    )


async def test_a_script_with_the_token_in_a_header_is_one_stable_guest(
    fetch, make_link, guest_login
):
    model, token = await make_link("view")
    first = (await fetch("api", "me", token=token)).json()["identity"]
    again = (await fetch("api", "me", token=token)).json()["identity"]
    assert first["username"] == again["username"] == f"guest-{model['id']}-api"
    # two browsers opening the same link are two guests
    one = (await fetch("api", "me", headers=await guest_login(token))).json()["identity"]
    two = (await fetch("api", "me", headers=await guest_login(token))).json()["identity"]
    assert one["username"] != two["username"]
    assert first["username"] not in (one["username"], two["username"])


async def test_a_guest_renames_only_itself(
    fetch, make_link, guest_login, jp_serverapp, browser_host
):
    model, token = await make_link("view")
    browser = await guest_login(token)
    owner_page = await fetch("lab", headers={"Host": browser_host})
    owner_browser = {
        "Authorization": "",
        "Host": browser_host,
        "Cookie": _with_cookies("", owner_page),
    }
    owner_before = (await fetch("api", "me", headers=owner_browser)).json()["identity"]
    xsrf = re.search(r"_xsrf=([^;]+)", browser["Cookie"]).group(1)
    body = json.dumps({"display_name": "Ada Lovelace"})

    # a cookie-authenticated change needs the XSRF token, as any browser request does
    refused = await fetch("api", "me", method="PATCH", body=body, headers=browser)
    assert refused.code == 403

    response = await fetch(
        "api", "me", method="PATCH", body=body, headers={**browser, "X-XSRFToken": xsrf}
    )
    assert response.code == 200, response.body
    identity = response.json()["identity"]
    assert identity["display_name"] == "Ada Lovelace"
    assert identity["username"].startswith(f"guest-{model['id']}-")
    # the guest gets its own kind of cookie back, never the owner's
    owner_cookie = _owner_cookie_name(jp_serverapp.identity_provider, browser["Host"])
    names = _cookie_names(response)
    assert owner_cookie not in names
    assert f"{owner_cookie}-guest" in names
    browser["Cookie"] = _with_cookies(browser["Cookie"], response)

    me = (await fetch("api", "me", headers=browser)).json()["identity"]
    assert me["display_name"] == "Ada Lovelace"
    assert me["username"] == identity["username"]
    you = (await fetch("api", "capella-share", "session", headers=browser)).json()["you"]
    assert you["role"] == "guest" and you["permission"] == "view"
    assert (await fetch("api", "me", headers=owner_browser)).json()["identity"] == owner_before
    # a new name brings no new rights
    put = await fetch(
        "api",
        "contents",
        "a.txt",
        method="PUT",
        body="{}",
        headers={**browser, "X-XSRFToken": xsrf},
    )
    assert put.code == 403

    assert (await fetch(*LINKS, model["id"], method="DELETE")).code == 204
    assert (await fetch("api", "me", headers=browser)).code == 403
    assert (await fetch("api", "me", token=token)).code == 403
    again = await fetch(
        "api", "me", method="PATCH", body=body, headers={**browser, "X-XSRFToken": xsrf}
    )
    assert again.code == 403


@pytest.mark.parametrize("field", ["username", "color", "avatar_url"])
async def test_a_guest_changes_nothing_but_its_name(field, fetch, make_link):
    _, token = await make_link("full")
    response = await fetch(
        "api", "me", method="PATCH", body=json.dumps({field: "owner"}), token=token
    )
    assert response.code == 400
    assert field in response.json()["message"]


def _with_cookies(cookie_header: str, response) -> str:
    jar = dict(part.split("=", 1) for part in cookie_header.split("; ") if part)
    for set_cookie in response.headers.get_list("Set-Cookie"):
        name, value = set_cookie.split(";", 1)[0].split("=", 1)
        jar[name] = value
    return "; ".join(f"{name}={value}" for name, value in jar.items())


async def test_logging_out_ends_a_guests_session(fetch, make_link, guest_login):
    _, token = await make_link("edit")
    browser = await guest_login(token)
    response = await fetch("logout", headers=browser)
    assert response.code == 200
    guest_cookie = next(c.split("=", 1)[0] for c in browser["Cookie"].split("; ") if "-guest=" in c)
    cleared = [c for c in response.headers.get_list("Set-Cookie") if c.startswith(guest_cookie)]
    assert cleared, response.headers.get_list("Set-Cookie")
    assert all("expires=" in c.lower() for c in cleared)


class OperatorAuthorizer(Authorizer):
    """An operator's own rules, answered asynchronously: no one uses the session API."""

    async def is_authorized(self, handler, user, action, resource):
        return resource != "capella-share:session"


class OperatorIdentityProvider(PasswordIdentityProvider):
    """An operator's own login (as JupyterHub configures one)."""


class TestTheOperatorsClassesStillApply:
    """Configured classes are composed with ours, not replaced, even though every
    extension linked after ours re-applies the server's config."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config["ServerApp"]["authorizer_class"] = OperatorAuthorizer
        jp_server_config["ServerApp"]["identity_provider_class"] = OperatorIdentityProvider
        return jp_server_config

    async def test_guests_are_recognised_and_limited(self, jp_serverapp, capella, make_link, fetch):
        assert isinstance(jp_serverapp.identity_provider, OperatorIdentityProvider)
        assert isinstance(jp_serverapp.identity_provider, GuestIdentityMixin)
        assert isinstance(jp_serverapp.authorizer, PolicyAuthorizerMixin)
        assert capella.allow_token_links
        _, token = await make_link("view")
        assert (await fetch("api", "contents", token=token)).code == 200
        put = await fetch("api", "contents", "a.txt", method="PUT", body="{}", token=token)
        assert put.code == 403

    @pytest.mark.parametrize("level", ["view", "owner"])
    async def test_its_refusals_hold_over_http_and_websockets(
        self, level, fetch, make_link, ws_status, jp_serverapp
    ):
        assert isinstance(jp_serverapp.authorizer, OperatorAuthorizer)
        token = None if level == "owner" else (await make_link(level))[1]
        assert (await fetch("api", "capella-share", "session", token=token)).code == 403
        assert await ws_status("api", "capella-share", "session", "ws", token=token) == 403
        assert (await fetch("api", "contents", token=token)).code == 200
