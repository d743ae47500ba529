"""A server extension for the route sweep (test_sweep.py).

It stands for "some other installed extension": it adds a route of its own that
nobody classified, which answers with the owner's token, and once every extension
has loaded it writes the server's route table (pattern, handler, the resource the
policy judges it as) to the file named by ``ROUTE_CENSUS``.
"""

from __future__ import annotations

import json
import os

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from tornado.routing import Router

ROUTE = "api/other-extension/secret"


class SecretHandler(JupyterHandler):
    """What a careless extension might do: hand the token to any logged-in user."""

    @web.authenticated
    def get(self) -> None:
        self.finish({"token": self.token})

    @web.authenticated
    def post(self) -> None:
        self.finish({"token": self.token})


def _routes(router: Router) -> list[dict]:
    routes = []
    for rule in getattr(router, "rules", []):
        target = rule.target
        if isinstance(target, Router):
            routes += _routes(target)
            continue
        regex = getattr(rule.matcher, "regex", None)
        if regex is None or not isinstance(target, type):
            continue
        # the class the route had before capella-share put its guards in front,
        # as the route guard names it
        handler = vars(target).get(
            "capella_share_route", f"{target.__module__}.{target.__qualname__}"
        )
        routes.append(
            {
                "pattern": regex.pattern,
                "handler": handler,
                "vetted": "capella_share_resource" in vars(target),
                "resource": vars(target).get("capella_share_resource"),
            }
        )
    return routes


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "route_census"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base_url, ROUTE), SecretHandler)])

    def write() -> None:
        routes = _routes(serverapp.web_app.default_router)
        path = os.environ["ROUTE_CENSUS"]
        with open(path + ".part", "w") as file:
            json.dump(routes, file, indent=1)
        os.replace(path + ".part", path)

    # after every extension has loaded and capella-share has classified the routes
    IOLoop.current().call_later(1.0, write)
