# capella-share under JupyterHub: add these lines to jupyterhub_config.py.
# (docs/jupyterhub.md explains each; the hub-mode tests run with exactly this.)
c = get_config()  # noqa: F821

# The three levels a hub share of a server can carry.
c.JupyterHub.custom_scopes = {
    "custom:capella-share:view": {"description": "Open and read files; run nothing."},
    "custom:capella-share:edit": {"description": "Read and write files, run kernels."},
    "custom:capella-share:full": {"description": "All the owner may, but share or shut down."},
}

# Every user may share their own servers, at any level, and find whom to share
# with (the last four scopes; leave them out here and below to keep the directory
# private: owners then type names).
c.JupyterHub.load_roles = [
    {
        "name": "user",
        "scopes": [
            "self",
            "shares!user",
            "custom:capella-share:view!user",
            "custom:capella-share:edit!user",
            "custom:capella-share:full!user",
            "list:users",
            "read:users:name",
            "list:groups",
            "read:groups:name",
        ],
    },
]

# What each single-user server's own token may do for its owner: read and change
# the shares of that server (the Share dialog does this), and list users and
# groups by name to share with.
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "read:shares!server",
    "shares!server",
    "custom:capella-share:view!server",
    "custom:capella-share:edit!server",
    "custom:capella-share:full!server",
    "list:users",
    "read:users:name",
    "list:groups",
    "read:groups:name",
]

# A user's own token to a server it is shared with carries the user's groups, so
# that a share with a group covers its members.
c.Spawner.oauth_client_allowed_scopes = ["read:users:groups!user"]
