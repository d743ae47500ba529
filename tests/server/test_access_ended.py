"""A guest whose link ended, who reloads, is told so: the page says the link
was revoked, expired or is unknown here and whom to ask, never Jupyter's login
page with its talk of tokens and ``jupyter server list``."""

from __future__ import annotations

import asyncio

import pytest

from capella_share.settings import LINKS_SETTING

PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
LOGIN_WORDS = ("jupyter server list", "Token authentication", "Setup a Password")


async def _page(fetch, headers: dict[str, str], *parts: str, **kwargs):
    return await fetch(*parts, headers={**PAGE, **headers}, follow_redirects=False, **kwargs)


def _says(response, *words: str) -> None:
    text = response.body.decode()
    for word in words:
        assert word in text, text
    for word in LOGIN_WORDS:
        assert word not in text, text


async def _revoke(fetch, link_id: str) -> None:
    assert (await fetch("api", "capella-share", "links", link_id, method="DELETE")).code == 204


@pytest.mark.parametrize("page", [("lab",), ("lab", "tree", "notes.ipynb")])
async def test_a_revoked_guest_who_reloads_is_told_the_link_was_revoked(
    page, fetch, make_link, guest_login
):
    model, token = await make_link("view", label="Review team")
    browser = await guest_login(token)
    await _revoke(fetch, model["id"])
    # the guest's Lab meets refusals first (its polls), then the guest reloads
    assert (await fetch("api", "contents", headers=browser)).code == 403
    for _ in range(2):  # and reloads again: still told, not sent to the login
        response = await _page(fetch, browser, *page)
        assert response.code == 403
        assert response.headers["Content-Type"].startswith("text/html")
        _says(response, "revoked the link you came in with", "ask the person who shared it")


async def test_an_expired_link_opened_again_says_it_expired(fetch, make_link):
    _, token = await make_link("view", expires_in=1)
    await asyncio.sleep(1.2)
    response = await _page(fetch, {"Authorization": ""}, "lab", params={"token": token})
    assert response.code == 403
    _says(response, "has expired")


async def test_a_link_unknown_here_says_so(fetch, make_link, guest_login, capella):
    _, token = await make_link("edit")
    browser = await guest_login(token)
    # as after a restart, which forgets every link (and how each ended)
    capella.settings[LINKS_SETTING].revoke_all()
    capella.settings[LINKS_SETTING]._ended.clear()
    response = await _page(fetch, browser, "lab")
    assert response.code == 403
    _says(response, "not valid here any more", "restarted")
    # a forged token naming a revoked link's id learns nothing of it either
    model, real = await make_link("view")
    await _revoke(fetch, model["id"])
    forged = real[:-4] + "AAAA"
    response = await _page(fetch, {"Authorization": ""}, "lab", params={"token": forged})
    _says(response, "not valid here any more")


async def test_live_links_and_visitors_without_one_are_unchanged(fetch, make_link, guest_login):
    _, token = await make_link("view")
    browser = await guest_login(token)
    assert (await _page(fetch, browser, "lab")).code == 200
    # no link at all: Jupyter's own login, as before
    anonymous = await _page(fetch, {"Authorization": ""}, "lab")
    assert anonymous.code == 302
    assert "login" in anonymous.headers["Location"]
    # what a page loads (not a page) is refused as before, with no page
    model, token = await make_link("view")
    browser = await guest_login(token)
    await _revoke(fetch, model["id"])
    api = await fetch("api", "contents", headers=browser)
    assert api.code == 403
    assert api.headers["Content-Type"].startswith("application/json")
