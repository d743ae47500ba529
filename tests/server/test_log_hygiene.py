"""Neither the owner's token nor any link token ever reaches the server log."""

from __future__ import annotations

import json
import logging
import re

from helpers import wait_closed


async def test_no_token_reaches_the_log(
    caplog,
    jp_logging_stream,
    jp_serverapp,
    fetch,
    make_link,
    guest_login,
    ws_connect,
    browser_host,
    make_share,
    shares_api,
):
    caplog.set_level(logging.DEBUG)
    owner_token = jp_serverapp.identity_provider.token
    browser = {"Authorization": "", "Host": browser_host}

    # the owner logs in: by URL, then through the login form
    assert (
        await fetch("lab", token="", params={"token": owner_token}, headers=browser)
    ).code == 200
    login_page = await fetch("login", headers=browser)
    xsrf = re.search(r"_xsrf=([^;]+)", login_page.headers["Set-Cookie"]).group(1)
    login = await fetch(
        "login",
        method="POST",
        body=f"_xsrf={xsrf}&password={owner_token}",
        headers={**browser, "Cookie": f"_xsrf={xsrf}"},
        follow_redirects=False,
    )
    assert login.code == 302

    tokens = [owner_token]
    for level in ("view", "edit", "full"):
        model, token = await make_link(level, label=f"{level} guest")
        tokens.append(token)
        # guests: by header, by URL, by cookie, on a websocket, and renaming themselves
        assert (await fetch("api", "contents", token=token)).code == 200
        assert (await fetch("lab", token="", params={"token": token})).code == 200
        cookies = await guest_login(token)
        assert (await fetch("api", "capella-share", "session", headers=cookies)).code == 200
        patch = await fetch(
            "api", "me", method="PATCH", body=json.dumps({"display_name": "X"}), token=token
        )
        assert patch.code == 200
        socket = await ws_connect("api", "capella-share", "session", "ws", token=token)
        # a request that fails is logged by tornado with its whole URI, query included
        missing = await fetch("api", "contents", "missing.txt", token="", params={"token": token})
        assert missing.code == 404
        by_header = await fetch("api", "contents", "missing.txt", token=token)
        assert by_header.code == 404
        # refused requests are logged with more detail (the Referer among it)
        referer = f"http://{browser_host}/lab?token={token}"
        refused = await fetch(
            "api", "capella-share", "links", token=token, headers={"Referer": referer}
        )
        assert refused.code == 403
        assert (
            await fetch("api", "capella-share", "links", model["id"], method="DELETE")
        ).code == 204
        assert (await wait_closed(socket))[0] == 4001
        # a revoked token, by header and URL, on a page and on a websocket
        assert (await fetch("api", "contents", token=token)).code == 403
        assert (await fetch("api", "contents", token="", params={"token": token})).code == 403
        assert (await fetch("api", "contents", headers=cookies)).code == 403
        with_referer = {"Referer": referer, "Authorization": ""}
        page = await fetch(
            "lab", params={"token": token}, headers=with_referer, follow_redirects=False
        )
        assert page.code in (302, 403)
        try:
            await ws_connect("api", "events", "subscribe", params={"token": token}, token="")
        except Exception as error:
            assert "302" in str(error) or "403" in str(error)
        else:
            raise AssertionError("a revoked token opened a websocket")

    # project shares: made, changed, downloaded and deleted by the owner; a guest
    # holding a link reads them and is refused the changes
    _, token = await make_link("full", label="shares guest")
    tokens.append(token)
    await make_share("Log", "Hygiene")
    assert (await shares_api("GET", token=token)).code == 200
    assert (await shares_api("GET", token="", params={"token": token})).code == 200
    assert (await shares_api("GET", "log", "hygiene", "archive", token=token)).code == 200
    refused = await shares_api("POST", body={"project": "Guest", "model": "M"}, token=token)
    assert refused.code == 403
    changed = await shares_api("PATCH", "log", "hygiene", body={"permission": "read-only"})
    assert changed.code == 200
    assert (await shares_api("GET", "log", "hygiene", "archive")).code == 200
    deleted = await shares_api("DELETE", "log", "hygiene", body={"confirm": "log/hygiene"})
    assert deleted.code == 200
    assert (await fetch("api", "capella-share", "links", method="DELETE")).code == 204

    log = caplog.text + jp_logging_stream.getvalue()
    assert "capella-share: link" in log, "the log was not captured"
    assert "/api/capella-share/links" in log
    assert "token=[secret]" in log, "no URL carrying a token was logged (scrubbed)"
    assert "capella-share: created the read-write share log/hygiene" in log
    assert "capella-share: deleting share log/hygiene" in log
    for token in tokens:
        # a link token's secret follows "csl_<id>_" (and may itself contain "_")
        secret = token[len("csl_") + 13 :] if token.startswith("csl_") else token
        assert len(secret) >= 32
        assert secret not in log, "a token reached the log"
