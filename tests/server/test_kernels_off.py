"""GET session tells a guest's Lab which kernels it may not connect to and why,
from the same policy and sandbox rule the kernel websocket is refused by, so the
Lab opens no socket the server would refuse (and retry it, "Connecting", forever)."""

from __future__ import annotations

import html

import pytest
from tornado.httpclient import HTTPClientError

from capella_share.processes import UNCONFINED_KERNEL


async def _kernels(fetch, token: str | None = None) -> dict:
    response = await fetch("api", "capella-share", "session", token=token)
    assert response.code == 200
    return response.json()["you"]["kernels"]


async def _refusal(kernel_client, kernel_id: str, token: str) -> tuple[int, str]:
    """What the kernel websocket answers this guest."""
    with pytest.raises(HTTPClientError) as refused:
        await kernel_client(kernel_id, token=token)
    body = refused.value.response.body if refused.value.response is not None else b""
    return refused.value.code, html.unescape(body.decode("utf-8", "replace"))


async def test_the_owner_may_connect_to_every_kernel(fetch, start_kernel):
    await start_kernel()
    assert await _kernels(fetch) == {"refused": None, "off": {}, "ask": False}


async def test_a_view_guest_is_told_it_may_connect_to_no_kernel(
    fetch, make_link, start_kernel, kernel_client
):
    kernel_id = await start_kernel()
    _, token = await make_link("view")
    kernels = await _kernels(fetch, token)
    assert kernels["refused"] == "This is a view-only link: it may not run kernels."
    assert kernels["off"] == {}
    code, _ = await _refusal(kernel_client, kernel_id, token)
    assert code == 403


async def test_an_edit_guest_may_connect_to_kernels_in_the_sandbox(
    fetch, make_link, start_kernel, capella
):
    if capella.processes.sandbox is None:
        pytest.skip("no sandbox works here")
    await start_kernel()
    _, token = await make_link("edit")
    assert await _kernels(fetch, token) == {"refused": None, "off": {}, "ask": False}


class TestOwnerKernelsOutside:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {**jp_server_config, "CapellaShareApp": {"confine_owner_kernels": False}}

    async def test_the_owners_unconfined_kernels_are_listed_with_the_servers_reason(
        self, fetch, make_link, start_kernel, kernel_client, capella
    ):
        if capella.processes.sandbox is None:
            pytest.skip("no sandbox works here")
        owners = await start_kernel()
        _, token = await make_link("edit")
        kernels = await _kernels(fetch, token)
        assert kernels["refused"] is None
        assert kernels["off"] == {owners: UNCONFINED_KERNEL}
        # a kernel started later may be off too: the Lab is to ask again
        assert kernels["ask"] is True
        # the same words the websocket is refused with
        code, body = await _refusal(kernel_client, owners, token)
        assert code == 403
        assert UNCONFINED_KERNEL in body
        # the guest's own kernel runs in the sandbox: not listed
        mine = await start_kernel(token=token)
        later = await _kernels(fetch, token)
        assert mine not in later["off"]
        assert set(later["off"]) == {owners}
        # the owner is told nothing is off
        assert await _kernels(fetch) == {"refused": None, "off": {}, "ask": False}
