"""Whose work is in hand has no default: a read where nobody said is refused,
never taken for the owner's."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from tornado import web

from capella_share import scope
from capella_share.policy import OWNER, Level, Principal
from capella_share.principal import NoPrincipal, acting_as, current_principal


def _in_a_fresh_context(work):
    """``work`` run where nothing was set: as code outside any request runs."""
    return contextvars.Context().run(work)


def test_a_read_with_no_principal_set_is_not_the_owner():
    with pytest.raises(NoPrincipal) as refused:
        _in_a_fresh_context(current_principal)
    assert isinstance(refused.value, web.HTTPError)
    assert refused.value.status_code == 403


def test_work_said_to_be_nobodys_is_refused():
    def work():
        with acting_as(None):
            return current_principal()

    with pytest.raises(NoPrincipal):
        _in_a_fresh_context(work)


def test_work_said_to_be_the_owners_is_the_owners_and_only_inside():
    def work():
        with acting_as(OWNER):
            inside = current_principal()
        try:
            current_principal()
        except NoPrincipal:
            return inside, "refused after"
        return inside, "still the owner's"

    assert _in_a_fresh_context(work) == (OWNER, "refused after")


def test_a_guest_is_itself():
    guest = Principal(Level.VIEW, "guest-1-a", "1", "shared")

    def work():
        with acting_as(guest):
            return current_principal()

    assert _in_a_fresh_context(work) is guest


def test_a_manager_asked_outside_a_request_refuses():
    """Code below the handlers asked with nobody's principal set refuses, where
    the owner would have been let through."""
    with pytest.raises(NoPrincipal):
        _in_a_fresh_context(lambda: scope.checked("secret.txt", "read", None))

    def as_owner():
        with acting_as(OWNER):
            return scope.checked("secret.txt", "read", None)

    assert _in_a_fresh_context(as_owner) == "secret.txt"


async def test_nobody_lists_no_terminal_kernel_or_session(jp_serverapp, capella):
    """Listings asked outside a request (the terminals extension counts its
    terminals so when the server stops) show nobody nothing, the owner all."""
    terminals = jp_serverapp.web_app.settings["terminal_manager"]
    with acting_as(OWNER):
        name = terminals.create()["name"]
    try:

        def listings():
            return jp_serverapp.kernel_manager.list_kernels(), terminals.list()

        assert _in_a_fresh_context(listings) == ([], [])

        def as_owner():
            with acting_as(OWNER):
                return [model["name"] for model in terminals.list()]

        assert _in_a_fresh_context(as_owner) == [name]
        nobody = contextvars.Context().run(
            asyncio.ensure_future, jp_serverapp.session_manager.list_sessions()
        )
        assert await nobody == []
    finally:
        await terminals.terminate(name, force=True)
