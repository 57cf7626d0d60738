"""`cloudc init`: a starter config with the schema line, plus whatever a first build needs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import click

from cloudc import presets as builtin
from cloudc.cli import EXIT_INPUT, EXIT_USAGE, Options, cli, say
from cloudc.diagnostics import Diagnostics, did_you_mean
from cloudc.project import CONFIG_NAMES

SCHEMA_PATH = "schemas/cloud.schema.json"
GITIGNORE = ["build/", ".cloudc/"]
STUBS = {
    "node": ("index.mjs", "export const handler = async (event) => {\n"
                          "  return { statusCode: 200, "
                          "body: JSON.stringify({ ok: true }) };\n};\n"),
    "python": ("index.py", "def handler(event, context):\n    return {\"statusCode\": 200, "
                           "\"body\": \"ok\"}\n"),
}


@cli.command()
@click.option("--preset", default=None, help="Start from a built-in preset.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "toml"]), default="yaml",
              show_default=True)
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option("--vscode", is_flag=True,
              help="Also associate the schema with cloud.yaml in .vscode/settings.json.")
@click.pass_obj
def init(opts: Options, preset: str | None, fmt: str, name: str | None, force: bool,
         vscode: bool) -> None:
    """Write a starter cloud.yaml (or cloud.toml) with the schema line and .gitignore entries."""
    from cloudc.schema import json_schema_text, layer_schema_text

    if preset is not None and builtin.builtin_path(preset) is None:
        hint = did_you_mean(preset, builtin.builtin_names())
        click.echo(f"cloudc: unknown preset `{preset}`" + (f" ({hint})" if hint else "")
                   + f"; built-in presets: {', '.join(builtin.builtin_names())}", err=True)
        raise SystemExit(EXIT_USAGE)
    target = Path(f"cloud.{fmt}")
    if target.exists() and not force:
        click.echo(f"cloudc: {target} exists (use --force to overwrite)", err=True)
        raise SystemExit(EXIT_INPUT)
    other = next((n for n in CONFIG_NAMES if n != target.name and Path(n).is_file()), None)
    if other is not None and not force:  # two configs: commands silently read the first one
        click.echo(f"cloudc: {other} exists; cloudc reads one config a folder "
                   f"(use --force to write {target} anyway)", err=True)
        raise SystemExit(EXIT_INPUT)
    project = name or Path.cwd().name or "app"
    target.write_text(_starter(project, preset, fmt), encoding="utf-8")
    schema = Path(SCHEMA_PATH)
    schema.parent.mkdir(parents=True, exist_ok=True)
    schema.write_text(json_schema_text(), encoding="utf-8")
    schema.with_name("cloud.layer.schema.json").write_text(layer_schema_text(), encoding="utf-8")
    wrote = [str(target), SCHEMA_PATH]
    if vscode and _vscode_settings():
        wrote.append(".vscode/settings.json")
    if _gitignore():
        wrote.append(".gitignore")
    wrote += _scaffold(target)
    say(opts, f"wrote {', '.join(wrote)}", fg="green")
    say(opts, "next: cloudc build --env development")


def _starter(project: str, preset: str | None, fmt: str) -> str:
    extends = [preset] if preset else []
    variables = builtin.variables(preset) if preset else {}
    if fmt == "toml":
        lines = [f"#:schema ./{SCHEMA_PATH}", ""]
        if extends:
            lines += [f"extends = [\"{preset}\"]", ""]
        lines += ["[project]", f"name = \"{project}\"", "region = \"us-east-1\"", ""]
        if variables:
            lines += ["[variables]", *_variable_lines(variables, "# ", " = ", json.dumps), ""]
        if not preset:
            lines += ["[storage.files]", "versioning = true", ""]
        return "\n".join(lines)
    lines = [f"# yaml-language-server: $schema=./{SCHEMA_PATH}", "project:",
             f"  name: {project}", "  region: us-east-1"]
    if extends:
        lines.append(f"extends: [{preset}]")
    else:
        lines += ["", "storage:", "  files: { versioning: true }"]
    if variables:
        lines += ["variables:", *_variable_lines(variables, "  # ", ": ", str, "  ")]
    return "\n".join(lines) + "\n"


DOMAIN_NOTE = ("Set your domain before the first deploy: its Route53 zone is created and the "
               "deploy waits (up to 72 hours) until your registrar delegates it to the zone's "
               "name servers ({value} itself can never be delegated).")


def _variable_lines(variables: dict[str, str], comment: str, sep: str, quote: Any,
                    indent: str = "") -> list[str]:
    """Write the preset's variables with their placeholder values, each with what to set."""
    out = []
    for key, value in variables.items():
        note = DOMAIN_NOTE.format(value=value) if "domain" in key else \
            "The preset's placeholder: set yours."
        out += [comment + line for line in textwrap.wrap(note, 92)]
        out.append(f"{indent}{key}{sep}{quote(value)}")
    return out


def _vscode_settings() -> bool:
    """Add yaml.schemas (and Even Better TOML's) associations to .vscode/settings.json.

    Return whether the file was written.
    """
    path = Path(".vscode") / "settings.json"
    try:
        settings = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except json.JSONDecodeError:
        settings = None
    if not isinstance(settings, dict):
        click.echo(f"cloudc: {path} is not a JSON object; left as it is", err=True)
        return False
    schemas = settings.setdefault("yaml.schemas", {})
    if isinstance(schemas, dict):
        schemas[f"./{SCHEMA_PATH}"] = ["cloud.yaml", "cloud.yml"]
        schemas["./schemas/cloud.layer.schema.json"] = ["cloud.*.yaml", "cloud.*.yml"]
    toml = settings.setdefault("evenBetterToml.schema.associations", {})
    if isinstance(toml, dict):
        toml[r".*/cloud\.toml$"] = f"./{SCHEMA_PATH}"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return True


def _gitignore() -> bool:
    """Append the entries .gitignore lacks; return whether it changed."""
    path = Path(".gitignore")
    have = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [g for g in GITIGNORE if g not in have]
    if missing:
        with path.open("a", encoding="utf-8") as fh:
            if have and have[-1] != "":
                fh.write("\n")
            fh.write("\n".join(missing) + "\n")
    return bool(missing)


def _scaffold(config: Path) -> list[str]:
    """Create the code and site folders the config points at, with a stub in each."""
    from cloudc.paths import is_dockerfile
    from cloudc.resolve import resolve

    res = resolve(config, "development", [], Diagnostics())
    if res is None:
        return []
    made = []
    for section, key in (("functions", "code"), ("sites", "source")):
        entries: Any = res.data.get(section) or {}
        for entry in entries.values() if isinstance(entries, dict) else []:
            rel = entry.get(key) if isinstance(entry, dict) else None
            if not isinstance(rel, str) or "${" in rel:
                continue
            folder = config.parent / rel
            if folder.exists():
                continue
            folder.mkdir(parents=True)
            if section == "sites":
                (folder / "index.html").write_text("<!doctype html><h1>It works</h1>\n")
            else:
                runtime = str(entry.get("runtime", "nodejs"))
                file, text = STUBS["python" if runtime.startswith("python") else "node"]
                (folder / file).write_text(text)
            made.append(rel)
    services: Any = res.data.get("services") or {}
    for entry in services.values() if isinstance(services, dict) else []:
        image = entry.get("image") if isinstance(entry, dict) else None
        if not isinstance(image, str) or not is_dockerfile(image) or "${" in image:
            continue
        dockerfile = config.parent / image
        if dockerfile.exists():
            continue
        dockerfile.parent.mkdir(parents=True, exist_ok=True)
        port = entry.get("port", 3000)
        dockerfile.write_text(DOCKERFILE.format(port=port))
        (dockerfile.parent / "server.js").write_text(SERVER_JS.format(port=port))
        made.append(image)
    servers: Any = res.data.get("servers") or {}
    for entry in servers.values() if isinstance(servers, dict) else []:
        made += _server_starter(config.parent, entry) if isinstance(entry, dict) else []
    return made


WEB_SERVERS = ("nginx", "caddy")


def _server_starter(root: Path, entry: dict[str, Any]) -> list[str]:
    """Give a server's `code` folder an app that answers the health check; return what it wrote.

    PHP behind nginx or caddy: public/index.php, unless the folder already has one (an existing
    Laravel app stays as it is). With `start` (Node.js): package.json, whose `start` runs
    server.js, listening on $PORT (cloudc exports the server's `app_port`), in a new folder only.
    """
    rel = entry.get("code")
    if not isinstance(rel, str) or "${" in rel:
        return []
    folder = root / rel
    recipes = [r for r in entry.get("recipes") or [] if isinstance(r, str)]
    web = any(r in WEB_SERVERS for r in recipes)
    if "php" in recipes and web:
        index = folder / "public" / "index.php"
        if index.exists():
            return []
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text(PHP_INDEX)
        return [f"{rel.rstrip('/')}/public/index.php"]
    if not entry.get("start") or folder.exists():
        return []
    port = entry.get("app_port") or (None if web else entry.get("port")) or 3000
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(PACKAGE_JSON)
    (folder / "server.js").write_text(SERVER_JS.format(port=port))
    return [rel]


DOCKERFILE = """FROM public.ecr.aws/docker/library/node:22-alpine
WORKDIR /app
COPY server.js .
EXPOSE {port}
USER node
CMD ["node", "server.js"]
"""
SERVER_JS = """const http = require("http");
http.createServer((req, res) => {{
  res.writeHead(200, {{ "content-type": "application/json" }});
  res.end(JSON.stringify({{ ok: true, path: req.url }}));
}}).listen(process.env.PORT || {port});
"""
PACKAGE_JSON = """{
  "name": "app",
  "private": true,
  "scripts": { "start": "node server.js" }
}
"""
PHP_INDEX = """<?php
// A starter page from `cloudc init`: replace this folder with your app (Laravel brings its own
// public/index.php; nginx serves public/ and sends other paths here).
header('Content-Type: text/plain');
echo "It works\\n";
"""
