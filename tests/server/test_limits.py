"""Limits that keep a guest from filling the owner's disk or fooling the others:
the size and content of its RTC awareness, and the number of active links (the
size and number of a guest's Lab workspaces: test_workspaces.py)."""

from __future__ import annotations

import asyncio
import json
import typing as t

import pytest
from helpers import YClient, link_headers, until, with_collaboration
from pycrdt import Decoder, Encoder, create_awareness_message

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def jp_server_config(jp_server_config, jp_root_dir, jp_data_dir):
    return with_collaboration(jp_server_config, jp_root_dir, jp_data_dir)


MiB = 1024 * 1024


# -- RTC awareness --------------------------------------------------------------------


class Recorded:
    """A websocket connection that keeps every message it receives."""

    def __init__(self, connection: t.Any):
        self._connection = connection
        self.received: list[bytes] = []

    async def read_message(self) -> t.Any:
        message = await self._connection.read_message()
        if isinstance(message, bytes):
            self.received.append(message)
        return message

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._connection, name)


@pytest.fixture
def collaborate(rtc_open):
    """Open ``path`` as a collaborator whose received messages are kept
    (``client.connection.received``)."""

    async def _open(path: str, headers: dict | None = None) -> YClient:
        return await rtc_open(path, headers, wrap=Recorded)

    return _open


def awareness_message(entries: list[tuple[int, int, t.Any]]) -> bytes:
    """An awareness message, written as a client would: (client id, clock, state);
    a state given as a string is sent as it is."""
    encoder = Encoder()
    encoder.write_var_uint(len(entries))
    for client_id, clock, state in entries:
        encoder.write_var_uint(client_id)
        encoder.write_var_uint(clock)
        # ASCII, as pycrdt's Encoder needs
        encoder.write_var_string(state if isinstance(state, str) else json.dumps(state))
    return create_awareness_message(encoder.to_bytes())


def received_awareness(client: YClient) -> list[tuple[int, int, t.Any]]:
    """Every awareness entry ``client`` received."""
    entries = []
    for message in client.connection.received:
        if message[0] != 1:
            continue
        decoder = Decoder(Decoder(message[1:]).read_message())
        for _ in range(decoder.read_var_uint()):
            client_id, clock = decoder.read_var_uint(), decoder.read_var_uint()
            state = decoder.read_var_string()
            entries.append((client_id, clock, json.loads(state) if state else None))
    return entries


async def _identity(fetch, **auth) -> dict:
    return (await fetch("api", "me", **auth)).json()["identity"]


async def test_a_guest_is_shown_under_its_own_name_whatever_it_claims(
    collaborate, make_link, fetch
):
    owner = await collaborate("shared.ipynb")
    me = await _identity(fetch)
    _, token = await make_link("edit", label="Review team")
    guest = await collaborate("shared.ipynb", link_headers(token))
    guest_me = await _identity(fetch, token=token)

    claim = {
        "user": {
            "username": me["username"],
            "name": me["name"],
            "display_name": me["display_name"],
            "initials": me["initials"],
            "avatar_url": "https://example.org/owner.png",
            "color": "#ff0000",
        },
        "cursors": [{"head": 1}],
    }
    await guest.connection.write_message(
        awareness_message([(guest.doc.client_id, 1, claim)]), binary=True
    )
    await until(lambda: guest.doc.client_id in owner.peers)
    assert owner.peers[guest.doc.client_id] == {
        "user": {
            "username": guest_me["username"],
            "name": "Review team",
            "display_name": "Review team",
            "initials": "RT",
            "avatar_url": None,
            "color": "#ff0000",
        },
        "cursors": [{"head": 1}],
    }
    assert guest_me["username"] != me["username"]
    # nothing the owner received speaks in the owner's name
    assert not any(
        isinstance(state, dict) and me["username"] in json.dumps(state)
        for _, _, state in received_awareness(owner)
    )


async def test_a_guest_that_claims_nothing_more_is_relayed_as_it_is(collaborate, make_link):
    owner = await collaborate("shared.ipynb")
    _, token = await make_link("edit", label="Review team")
    guest = await collaborate("shared.ipynb", link_headers(token))
    await guest.announce("Review team")
    await until(lambda: owner.peers.get(guest.doc.client_id) == {"user": {"name": "Review team"}})
    await owner.announce("Owner")
    await until(lambda: guest.peers.get(owner.doc.client_id) == {"user": {"name": "Owner"}})


async def test_a_guests_huge_awareness_reaches_nobody(collaborate, make_link, report):
    owner = await collaborate("shared.ipynb")
    _, token = await make_link("edit", label="Review team")
    guest = await collaborate("shared.ipynb", link_headers(token))

    huge = {"user": {"name": "Review team"}, "pad": "x" * (5 * MiB)}
    await guest.connection.write_message(
        awareness_message([(guest.doc.client_id, 1, huge)]), binary=True
    )
    # messages from one socket are handled in order: once the marker is there, the
    # huge one has been dealt with
    marker = {"user": {"name": "Review team"}, "marker": True}
    await guest.connection.write_message(
        awareness_message([(guest.doc.client_id, 2, marker)]), binary=True
    )
    await until(lambda: owner.peers.get(guest.doc.client_id, {}).get("marker"))
    await asyncio.sleep(0.3)
    sizes = [len(m) for m in owner.connection.received if m[0] == 1]
    assert max(sizes) < 64 * 1024, sizes
    assert not any("pad" in (state or {}) for _, _, state in received_awareness(owner))
    report("awareness", f"largest awareness message relayed to the owner: {max(sizes)} bytes")


async def test_a_guest_cannot_change_another_clients_awareness(collaborate, make_link):
    owner = await collaborate("shared.ipynb")
    watcher = await collaborate("shared.ipynb")
    await owner.announce("Owner")
    owner_id = owner.doc.client_id
    await until(lambda: watcher.peers.get(owner_id) == {"user": {"name": "Owner"}})
    _, token = await make_link("edit", label="Review team")
    guest = await collaborate("shared.ipynb", link_headers(token))

    await guest.connection.write_message(
        awareness_message(
            [
                (owner_id, 100, {"user": {"name": "Hacked"}}),
                (guest.doc.client_id, 1, {"user": {"name": "Review team"}}),
            ]
        ),
        binary=True,
    )
    # a removal of the owner's state, in a message of its own
    await guest.connection.write_message(awareness_message([(owner_id, 101, None)]), binary=True)
    await guest.connection.write_message(
        awareness_message([(guest.doc.client_id, 2, {"marker": True})]), binary=True
    )
    await until(lambda: watcher.peers.get(guest.doc.client_id) == {"marker": True})
    await asyncio.sleep(0.3)
    # the guest's own entry of the mixed message went through, the owner's did not
    seen = received_awareness(watcher)
    assert (guest.doc.client_id, 1, {"user": {"name": "Review team"}}) in seen
    assert [entry for entry in seen if entry[0] == owner_id and entry[1] >= 100] == []
    assert watcher.peers[owner_id] == {"user": {"name": "Owner"}}
    # the owner itself still updates its state
    await owner.announce("Owner, renamed")
    await until(lambda: watcher.peers.get(owner_id) == {"user": {"name": "Owner, renamed"}})


async def test_a_guests_malformed_awareness_is_dropped(collaborate, make_link):
    owner = await collaborate("shared.ipynb")
    _, token = await make_link("edit", label="Review team")
    guest = await collaborate("shared.ipynb", link_headers(token))
    guest_id = guest.doc.client_id
    for bad in (
        bytes([1, 5, 1]),  # the update is shorter than it says
        awareness_message([(guest_id, 1, {"a": 1})]) + b"\x00",  # bytes after it
        awareness_message([(guest_id, 1, ["not", "an", "object"])]),
        awareness_message([(guest_id, 1, '{"user": {"name": NaN}}')]),  # not JSON
        awareness_message([(guest_id, 1, "[" * 5000 + "]" * 5000)]),
        awareness_message([(guest_id, 1, "{not json")]),
    ):
        await guest.connection.write_message(bad, binary=True)
    await guest.connection.write_message(
        awareness_message([(guest_id, 2, {"marker": True})]), binary=True
    )
    await until(lambda: owner.peers.get(guest_id) == {"marker": True})
    await asyncio.sleep(0.3)
    assert [state for cid, _, state in received_awareness(owner) if cid == guest_id] == [
        {"marker": True}
    ]


# -- active links ---------------------------------------------------------------------


class TestActiveLinkCap:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        config = dict(jp_server_config)
        config["CapellaShareApp"] = {"max_active_links": 3}
        return config

    async def test_links_past_the_cap_are_refused(self, fetch, make_link, capella):
        assert capella.max_active_links == 3
        models = [(await make_link("view"))[0] for _ in range(3)]
        body = json.dumps({"permission": "view", "expires_in": None})
        refused = await fetch("api", "capella-share", "links", method="POST", body=body)
        assert refused.code == 409, refused.body
        message = refused.json()["message"]
        assert "3 active share links" in message
        assert "CapellaShareApp.max_active_links" in message and "Revoke" in message
        listed = (await fetch("api", "capella-share", "links")).json()["links"]
        assert len(listed) == 3

        revoked = await fetch("api", "capella-share", "links", models[0]["id"], method="DELETE")
        assert revoked.code == 204
        assert (await make_link("edit"))[0]["permission"] == "edit"

    async def test_expired_links_do_not_count(self, fetch, make_link):
        for _ in range(3):
            await make_link("view", expires_in=0.3)
        await asyncio.sleep(0.5)
        assert (await make_link("view"))[0]
