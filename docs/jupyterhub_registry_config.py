# capella-share-registry as a JupyterHub service: add these lines to
# jupyterhub_config.py, after those of docs/jupyterhub_config.py (docs/registry.md
# explains each; the registry tests run with exactly this).
c = get_config()  # noqa: F821

REGISTRY = "capella-share-registry"
# the scope that lets a user (their browser, their tokens) reach the registry
REGISTRY_ACCESS = f"access:services!service={REGISTRY}"

# The hub starts and stops the registry, and routes /services/capella-share-registry/
# to it. Its own database and share folders live in its working folder (cwd) unless
# its configuration file says otherwise.
c.JupyterHub.services.append(
    {
        "name": REGISTRY,
        "url": "http://127.0.0.1:10101",
        "command": ["capella-share-registry", "--config", "capella_share_registry_config.py"],
        "cwd": "/srv/capella-share-registry",
        "oauth_no_confirm": True,
    }
)

# The registry asks the hub which groups a user is in when an admin lists another
# user's shares.
c.JupyterHub.load_roles.append(
    {
        "name": REGISTRY,
        "scopes": ["read:users:name", "read:users:groups"],
        "services": [REGISTRY],
    }
)

# Every user may reach the registry: the default 'user' role gains the access
# scope (defined as in docs/jupyterhub_config.py; without it, define it here with
# "scopes": ["self", REGISTRY_ACCESS]).
for role in c.JupyterHub.load_roles:
    if role["name"] == "user":
        role["scopes"].append(REGISTRY_ACCESS)

# A single-user server's own token reaches the registry as its user (the spawner
# hook and the Lab's shares panel ask it which shares the user has).
c.Spawner.server_token_scopes.append(REGISTRY_ACCESS)
