import json

import pytest

import capella_share


async def test_info_reports_version_mode_and_features(fetch):
    response = await fetch("api", "capella-share", "info")
    assert response.code == 200
    info = response.json()
    assert info["version"] == capella_share.__version__
    assert info["mode"] == "standalone"
    assert "links" in info["features"]


async def test_info_requires_authentication(fetch):
    response = await fetch("api", "capella-share", "info", token="")
    assert response.code == 403


async def test_session_describes_the_owner(fetch, jp_base_url):
    you = (await fetch("api", "capella-share", "session")).json()
    assert you["url"].endswith(f"{jp_base_url}lab")
    assert "token" not in you["url"]
    assert you["you"]["role"] == "owner"
    assert you["you"]["permission"] == "owner"


class TestUnderAPrefix:
    """The extension works when the server lives under /user/<name>/."""

    @pytest.fixture
    def jp_base_url(self):
        return "/user/alice/"

    async def test_endpoints_and_urls_follow_the_base_url(self, fetch, make_link):
        assert (await fetch("api", "capella-share", "info")).code == 200
        model, token = await make_link("view")
        assert "/user/alice/lab?token=" in model["url"]
        session = await fetch("api", "capella-share", "session", token=token)
        assert session.code == 200
        assert json.loads(session.body)["url"].endswith("/user/alice/lab")


ACTIONS = ("write", "run", "terminals", "settings", "shutdown", "manage")


@pytest.mark.parametrize(
    ("level", "allowed"),
    [
        # every guest's Lab settings are its own (tests/server/test_guest_settings.py)
        ("view", {"settings"}),
        ("edit", {"write", "run", "settings"}),
        ("full", {"write", "run", "terminals", "settings"}),
        ("owner", set(ACTIONS)),
    ],
)
async def test_session_says_what_the_policy_lets_you_do(fetch, make_link, level, allowed):
    token = None if level == "owner" else (await make_link(level))[1]
    you = (await fetch("api", "capella-share", "session", token=token)).json()["you"]
    assert you["may"] == {action: action in allowed for action in ACTIONS}
