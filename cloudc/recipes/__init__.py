"""Server recipes: named shell steps composed into one cloud-init user data script.

Each recipe is `cloudc/recipes/<name>.sh`, a bash fragment that checks before it changes
anything (so a second run is harmless) and branches at run time between Debian/Ubuntu (apt)
and Amazon Linux (dnf). `render` always applies recipes in the order of `RECIPES`, so
dependencies come first (node before pm2, php before composer and nginx, nginx before
lets-encrypt), whatever order the user lists them in.

>>> render(["nginx"], {"name": "app"}).splitlines()[0]
'#!/bin/bash'
"""

from __future__ import annotations

import shlex
from importlib import resources
from typing import Any

# Canonical order: runtimes, then tools, then the web server, then what starts the app.
RECIPES: tuple[str, ...] = (
    "node", "bun", "php", "composer", "postgres-client", "mysql-client", "redis",
    "nginx", "caddy", "lets-encrypt", "pm2", "systemd",
)
ALIASES: dict[str, str] = {"service": "systemd"}
# A recipe that cannot work without another brings it in (as `apt` brings dependencies).
REQUIRES: dict[str, str] = {"pm2": "node", "composer": "php"}

# Variables every fragment may read, with their defaults.
DEFAULTS: dict[str, Any] = {
    "name": "app",
    "app_dir": "/srv/app",
    "app_port": 3000,
    "health_check": "/",
    "domain": "",
    "email": "",
    "start": "",
    "service": "app",
    "tls_on_instance": False,
    "node_version": 22,
}


def canonical(name: str) -> str | None:
    """Return the recipe a name stands for (aliases resolved), or None if unknown."""
    name = ALIASES.get(name, name)
    return name if name in RECIPES else None


def fragment(name: str) -> str:
    """Return the text of one recipe (or of an internal part such as `_prelude`)."""
    return resources.files(__name__).joinpath(f"{name}.sh").read_text(encoding="utf-8")


def render(recipes: list[str], context: dict[str, Any]) -> str:
    """Compose a `#!/bin/bash` cloud-init script from recipes (unknown names raise KeyError).

    `context` takes the keys of `DEFAULTS`, plus `environment` (env file name -> value text,
    written as `NAME='value'`), `secrets` (a list of (NAME, reference, ...)) read at boot: a
    reference is a Secrets Manager ARN, optionally with `:json-key::`, or an SSM parameter ARN, and `user_data` (commands run last).
    """
    chosen = []
    for r in recipes:
        c = canonical(r)
        if c is None:
            raise KeyError(r)
        chosen.append(c)
    ordered = [r for r in RECIPES if r in chosen]
    ctx = {**DEFAULTS, **{k: v for k, v in context.items() if k in DEFAULTS and v is not None}}
    variables = {
        "CLOUDC_NAME": ctx["name"],
        "CLOUDC_APP_DIR": ctx["app_dir"],
        "CLOUDC_APP_PORT": ctx["app_port"],
        "CLOUDC_HEALTH_CHECK": ctx["health_check"],
        "CLOUDC_DOMAIN": ctx["domain"],
        "CLOUDC_EMAIL": ctx["email"],
        "CLOUDC_START": ctx["start"],
        "CLOUDC_SERVICE": ctx["service"],
        "CLOUDC_TLS_ON_INSTANCE": 1 if ctx["tls_on_instance"] else 0,
        "CLOUDC_PHP": 1 if "php" in ordered else 0,
        "CLOUDC_NODE_VERSION": ctx["node_version"],
    }
    out = [
        "#!/bin/bash",
        f"# cloudc user data for {ctx['name']}: recipes {', '.join(ordered) or '(none)'}",
        *(f"{k}={shlex.quote(str(v))}" for k, v in variables.items()),
        "",
        _part("prelude", fragment("_prelude")),
    ]
    env = context.get("environment") or {}
    lines = [f"{k}='{_single(str(v))}'" for k, v in env.items()]
    out.append(_part("environment", fragment("_environment").replace(
        "@ENVIRONMENT@", "\n".join(lines) if lines else "# (no variables)")))
    secrets = context.get("secrets") or []
    if secrets:
        calls = [f"cloudc_secret {shlex.quote(n)} {shlex.quote(f)}" for n, f, *_ in secrets]
        out.append(_part("secrets", fragment("_secrets") + "\n".join(calls) + "\n"))
    for name in ordered:
        out.append(_part(f"recipe {name}", fragment(name)))
    extra = context.get("user_data")
    if extra:
        out.append(_part("user_data", str(extra).rstrip("\n") + "\n"))
    out.append('echo "cloudc: ${CLOUDC_NAME} is set up"\n')
    return "\n".join(out)


def _part(title: str, text: str) -> str:
    return f"# --- {title} ---\n{text.rstrip()}\n"


def _single(text: str) -> str:
    """Escape a value for a single-quoted env file entry."""
    return text.replace("'", "'\\''")
