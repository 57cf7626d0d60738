"""Server recipes: dependencies, order, valid bash (and shellcheck), and every command a recipe
runs is a builtin, part of the base system, or installed by the prelude or a recipe it needs."""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from cloudc.compile import compile_config
from cloudc.recipes import (
    AWS_PROVIDES,
    BOOK,
    PRELUDE_PROVIDES,
    RECIPES,
    SECRETS_PROVIDES,
    brought_by,
    canonical,
    fragment,
    render,
    resolve,
)

BASH = shutil.which("bash")
SHELLCHECK = shutil.which("shellcheck")
GOLDEN = Path(__file__).parent / "golden"
CONTEXT: dict[str, Any] = {
    "name": "app", "start": "node server.js", "domain": "a.example", "email": "ops@a.example",
    "environment": {"A": "it's", "B": "x y"},
    "secrets": [("DB_PASSWORD", "arn:aws:secretsmanager:us-east-1:1:secret:db-abc:password::")],
    "user_data": "echo finished",
}
# Present on Ubuntu 22.04/24.04 and Amazon Linux 2023 images before any recipe runs.
BASE = {
    "apt-get", "dnf", "systemctl", "useradd", "id", "install", "mv", "rm", "ln", "chmod",
    "chown", "cat", "tee", "date", "uname", "sleep", "seq", "head", "awk", "sed", "grep", "cut",
    "tr", "ls", "mkdir", "su", "env", "bash", "python3",
    "mktemp", "runuser", "flock", "systemd-cat",  # coreutils, util-linux, systemd
    "dpkg",  # Ubuntu's package tool (the CloudWatch agent comes as a .deb)
}
# The internal parts `render` adds for the app (SPEC 1.6), and the parts each one runs after.
APP_PARTS: dict[str, tuple[str, ...]] = {
    "_aws": (), "_signal": ("_aws",), "_code": ("_aws",), "_jobs": (), "_build": ("_jobs",),
    "_workers": ("_jobs",), "_cron": ("_jobs",), "_ready": ("_aws", "_signal"), "_logs": (),
}
APP_CONTEXT: dict[str, Any] = {
    **CONTEXT, "code_url": "s3://cloudc-artifacts-1-us-east-1/assets/abc.zip",
    "build": "composer install --no-dev && npm ci", "signal": ("stack", "ServersAppGroup"),
    "health_url": "http://127.0.0.1:3000/up",
    "workers": [("queue", 2, "php artisan queue:work --queue='high,default'")],
    "cron": [("scheduler", "* * * * *", "php artisan schedule:run >/dev/null")],
}


def _bash_n(script: str) -> None:
    assert BASH is not None
    proc = subprocess.run([BASH, "-n"], check=False, input=script, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _shellcheck(script: str) -> None:
    """Run shellcheck (warnings and errors) when it is installed."""
    _shellcheck_all({"script": script})


def _shellcheck_all(scripts: dict[str, str]) -> None:
    """Shellcheck every script (name -> text) in one run; fail naming each script's findings.

    One shellcheck process over many files costs the same analysis and one start-up; each
    finding (`-f gcc`: FILE:LINE:COL: severity: message) is mapped back to its script's name.
    """
    if SHELLCHECK is None or not scripts:
        return
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, str] = {}
        for i, (name, text) in enumerate(scripts.items()):
            path = os.path.join(tmp, f"s{i}.sh")
            Path(path).write_text(text, encoding="utf-8")
            files[path] = name
        proc = subprocess.run([SHELLCHECK, "--severity=warning", "--shell=bash", "-f", "gcc",
                               *files], check=False, capture_output=True, text=True)
    found: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        path, _, rest = line.partition(":")
        name = files.get(path)
        assert name is not None, proc.stdout  # a line that names no script: show it all
        row = int(rest.split(":", 1)[0])
        found.setdefault(name, []).append(
            f"  line {row}: {rest.split(':', 2)[2].strip()}\n"
            f"    {scripts[name].splitlines()[row - 1].strip()}")
    assert proc.returncode == 0 and not found and not proc.stderr, "\n".join(
        [f"{name}:\n" + "\n".join(rows) for name, rows in found.items()] + [proc.stderr])


# --- dependencies and order -------------------------------------------------------------------

def test_spec_example_installs_node_before_pm2() -> None:
    """SPEC 1.6: `recipes: [bun, caddy, pm2]`; pm2's `npm install -g` needs Node first."""
    script = render(["bun", "caddy", "pm2"], {"name": "app"})
    node = script.index("# --- recipe node ---")
    assert node < script.index("# --- recipe pm2 ---") < script.index("npm install -g")
    assert script.count("# --- recipe node ---") == 1
    assert "recipes node (for pm2), bun, caddy, pm2" in script
    _bash_n(script)


def test_every_need_is_a_known_recipe_and_comes_first() -> None:
    for name, recipe in BOOK.items():
        for need in recipe.needs:
            assert need in BOOK, (name, need)
        order = resolve([name])
        assert order[-1] == name and len(order) == len(set(order))
        for r in order:
            for need in BOOK[r].needs:
                assert order.index(need) < order.index(r), (name, order)


@pytest.mark.parametrize("size", [2, 3])
def test_order_is_the_same_whatever_the_listed_order(size: int) -> None:
    for combo in itertools.combinations(RECIPES, size):
        orders = {tuple(resolve(list(p))) for p in itertools.permutations(combo)}
        assert len(orders) == 1, combo
        [order] = orders
        assert len(order) == len(set(order)) and set(combo) <= set(order)


def test_brought_by_names_the_recipe_that_needs_it() -> None:
    assert brought_by(["pm2", "composer"]) == {"node": "pm2", "php": "composer"}
    assert brought_by(["node", "pm2"]) == {}
    assert brought_by(["lets-encrypt"]) == {"nginx": "lets-encrypt"}


# --- valid bash -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", RECIPES)
def test_each_recipe_with_what_it_needs_is_valid_bash(name: str) -> None:
    script = render([name], CONTEXT)
    assert script.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in script
    for r in resolve([name]):
        assert f"# --- recipe {r} ---" in script
    _bash_n(script)  # shellcheck: test_shellcheck_is_clean_for_every_recipe_with_its_needs


def test_full_composition_is_valid_bash_and_ordered() -> None:
    script = render(list(reversed(RECIPES)), {**CONTEXT, "start": "php artisan serve",
                                              "tls_on_instance": True})
    _bash_n(script)
    _shellcheck(script)
    positions = [script.index(f"# --- recipe {r} ---") for r in RECIPES]
    assert positions == sorted(positions)
    assert "A='it'\\''s'" in script
    assert "cloudc_secret DB_PASSWORD" in script


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed")
def test_shellcheck_is_clean_for_every_recipe_with_its_needs() -> None:
    """Each recipe with what it needs (the scripts the bash -n tests read), in one run."""
    _shellcheck_all({name: render([name], CONTEXT) for name in RECIPES})


def _golden_scripts() -> list[tuple[str, str]]:
    """Every user data script in the golden templates, expressions replaced by a word."""
    out = []
    for path in sorted(GOLDEN.glob("*/expected/*/stacks/servers.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for lid, res in doc["Resources"].items():
            if res["Type"] != "AWS::EC2::LaunchTemplate":
                continue
            ud = res["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
            parts = ud["Fn::Join"][1] if isinstance(ud, dict) else [ud]
            text = "".join(p if isinstance(p, str) else "EXPR" for p in parts)
            out.append((f"{path.relative_to(GOLDEN)}:{lid}", text))
    return out


@pytest.mark.slow  # bash -n and shellcheck over every golden user data: about 4 s
def test_golden_user_data_is_valid_bash() -> None:
    """Every script passes bash -n; cloudc's part of each distinct script passes shellcheck.

    A staging script that is its production twin with the environment's name (a lowercase
    word, in the same places) swapped is the same script to shellcheck: it is checked once.
    """
    scripts = _golden_scripts()
    assert len(scripts) >= 8
    distinct: dict[str, tuple[str, str]] = {}  # the text, its env's name blanked -> first seen
    for where, text in scripts:
        try:
            _bash_n(text)
        except AssertionError as e:
            raise AssertionError(f"{where}: {e}") from e
        env = where.split("/")[2]
        assert re.fullmatch(r"[a-z]+", env) and "\0" not in text, where
        # The user's own user_data is theirs to lint; cloudc's part must be clean.
        mine = text.split("# --- user_data ---")[0]
        distinct.setdefault(mine.replace(env, "\0"), (where, mine))
    _shellcheck_all(dict(distinct.values()))


def test_golden_user_data_installs_what_each_recipe_needs() -> None:
    for where, text in _golden_scripts():
        header = re.search(r"^# cloudc user data for \S+: recipes (.*)$", text, re.MULTILINE)
        assert header is not None, where
        listed = [r.split(" ")[0] for r in header.group(1).split(", ")]
        for r in listed:
            for need in BOOK[r].needs:
                assert text.index(f"# --- recipe {need} ---") < \
                    text.index(f"# --- recipe {r} ---"), (where, r, need)


# --- commands ---------------------------------------------------------------------------------

def _builtins() -> set[str]:
    assert BASH is not None
    out = subprocess.run([BASH, "-c", "compgen -b; compgen -k"], capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


def _drop_heredocs(text: str) -> str:
    """Remove here-document bodies (they are files written, not commands run)."""
    out, end = [], None
    for line in text.splitlines():
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        m = re.search(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?", line)
        if m:
            end = m.group(1)
        out.append(line)
    return "\n".join(out)


def _lift_substitutions(line: str) -> tuple[str, list[str]]:
    """Replace each `$( ... )` in a line by a plain word; return the line and their bodies."""
    bodies: list[str] = []
    out, i = [], 0
    while True:
        j = line.find("$(", i)
        if j == -1:
            out.append(line[i:])
            break
        depth, k = 0, j + 1
        while k < len(line):
            depth += {"(": 1, ")": -1}.get(line[k], 0)
            if depth == 0:
                break
            k += 1
        out.append(line[i:j] + "SUBST")
        if not line.startswith("$((", j):  # arithmetic, `$((SECONDS + 300))`, runs nothing
            bodies.append(line[j + 2:k])
        i = k + 1
    return "".join(out), bodies


SEPARATORS = {";", ";;", "&&", "||", "|", "&", "(", ")", "()", "{", "}"}
LEADERS = {"if", "then", "else", "elif", "do", "while", "until", "time", "exec",
           "cloudc_retry"}  # the word after these is a command too


def _commands(text: str) -> set[str]:
    """Return every command name a bash fragment runs (a small, conservative reader)."""
    text = _drop_heredocs(text).replace("\\\n", " ")
    found: set[str] = set()
    in_case = 0
    for raw in text.splitlines():
        line, bodies = _lift_substitutions(raw)
        for body in bodies:
            found |= _commands(body)
        stripped = line.strip()
        if stripped.startswith("case ") and stripped.endswith(" in"):
            in_case += 1
            continue
        if stripped == "esac":
            in_case -= 1
            continue
        if in_case:  # drop a leading `pattern|pattern)` label
            line = re.sub(r"^\s*[^\s()]*(\|[^\s()]*)*\)", " ", line)
        found |= _line_commands(line)
    return found


def _line_commands(line: str) -> set[str]:
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        tokens = list(lex)
    except ValueError:
        raise AssertionError(f"cannot read: {line}") from None
    found: set[str] = set()
    position, skip = True, False
    for i, tok in enumerate(tokens):
        if skip:  # the target of a redirection
            skip = False
            continue
        if re.fullmatch(r"[<>&]+", tok) and ("<" in tok or ">" in tok):
            skip = True
            continue
        if tok in SEPARATORS or tok in LEADERS:
            position = True
            continue
        if tok == "for":
            break  # `for x in words; do` lists words, not commands
        if not position or tok in ("!", "fi", "done", "esac"):
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\+?=", tok):
            continue  # an assignment; the command (if any) follows
        if tok.isdigit() and i + 1 < len(tokens) and tokens[i + 1].startswith((">", "<")):
            continue  # a file descriptor before a redirection
        position = False
        if tok == "command" and i + 1 < len(tokens) and tokens[i + 1] in ("-v", "-V"):
            continue  # `command -v x` looks x up; it does not run it
        if tok == "command":
            position = True
            continue
        if tok.startswith("$") or tok == "SUBST":
            continue  # a command chosen at run time ("$@")
        found.add(tok)
    return found


def _functions(text: str) -> set[str]:
    return set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{", text, re.MULTILINE))


def _allowed(name: str, text: str, have: set[str]) -> bool:
    if name in have:
        return True
    if name.startswith("/"):  # a path: the fragment must create the folder it runs from
        folder = name.rsplit("/", 2)[0]
        return text.count(folder) >= 2
    return False


def test_reader_finds_commands() -> None:
    got = _commands('a=1 b x | c "$(d -u)" && ! e 2>/dev/null\nif f; then g >&2; fi\n'
                    'case "$(h)" in\n  x|y) i ;;\n  *) j ;;\nesac\n'
                    "cat > /f <<'EOF'\nnot_run\nEOF\nk=\"$(l | m)\"\nd=$((SECONDS + 1))\n")
    assert got == {"b", "c", "d", "e", "f", "g", "h", "i", "j", "cat", "l", "m"}


def test_the_reader_would_catch_pm2_without_node() -> None:
    """The rule that `[bun, caddy, pm2]` broke: pm2.sh runs npm, which only node provides."""
    have = _builtins() | BASE | set(PRELUDE_PROVIDES) | _functions(fragment("_prelude"))
    missing = {c for c in _commands(fragment("pm2")) if not _allowed(c, "", have)}
    assert "npm" in missing


@pytest.mark.parametrize("name", ["_prelude", "_environment", "_secrets", *APP_PARTS, *RECIPES])
def test_every_command_is_builtin_base_or_provided(name: str) -> None:
    """Each command is a builtin, base system, the prelude's, or installed by a needed recipe."""
    prelude = fragment("_prelude")
    have = _builtins() | BASE | _functions(prelude) | set(PRELUDE_PROVIDES)
    if name == "_secrets":
        have |= set(SECRETS_PROVIDES) | _functions(fragment("_secrets"))
    for part in (name, *APP_PARTS.get(name, ())) if name in APP_PARTS else ():
        have |= _functions(fragment(part))
        if part == "_aws":
            have |= set(AWS_PROVIDES)
    order = resolve([name]) if name in BOOK else []
    for r in order:  # itself and everything it needs
        have |= set(BOOK[r].provides)
    text = fragment(name)
    missing = sorted(c for c in _commands(text) if not _allowed(c, text, have))
    assert not missing, f"{name} runs {missing}, which nothing it needs installs"


def test_aliases_and_unknown_names() -> None:
    assert canonical("service") == "systemd"
    assert canonical("nodejs") is None
    with pytest.raises(KeyError):
        render(["nodejs"], {})


def test_unknown_recipe_is_e3007_at_its_line(tmp_path: Path) -> None:
    cfg = tmp_path / "cloud.yaml"
    cfg.write_text("project: { name: R }\nservers:\n  app:\n    recipes:\n      - node\n"
                   "      - ngnix\n", encoding="utf-8")
    build = compile_config(cfg, "development")
    errs = [d for d in build.diagnostics.errors if d.code == "E3007"]
    assert len(errs) == 1
    assert errs[0].origin is not None and errs[0].origin.line == 6
    assert errs[0].hint == "did you mean `nginx`?"
    assert "caddy" in errs[0].message


def test_app_parts_are_valid_bash_in_order() -> None:
    """SPEC 1.6: runtimes, then the code and its build, then the app, workers, cron, ready."""
    script = render(["php", "composer", "node", "systemd"], APP_CONTEXT)
    _bash_n(script)
    _shellcheck(script)
    order = ["# --- aws ---", "# --- signal ---", "# --- environment ---", "# --- secrets ---",
             "# --- recipe composer ---", "# --- code ---", "# --- jobs ---", "# --- build ---",
             "# --- recipe systemd ---", "# --- workers ---", "# --- cron ---",
             "# --- user_data ---", "# --- ready ---"]
    positions = [script.index(h) for h in order]
    assert positions == sorted(positions)
    # Commands are quoted as they are: quotes and redirections reach the job scripts intact.
    assert "cloudc_worker queue 2 'php artisan queue:work --queue='\"'\"'high,default'" in script
    assert "cloudc_cron scheduler '* * * * *' 'php artisan schedule:run >/dev/null'" in script


def test_without_code_there_is_no_signal_and_no_aws_cli() -> None:
    script = render(["node", "systemd"], {"name": "app", "start": "node s.js"})
    for part in ("aws", "signal", "code", "jobs", "ready"):
        assert f"# --- {part} ---" not in script
    script = render(["node"], {"name": "app", "workers": [("w", 1, "node w.js")]})
    assert "# --- jobs ---" in script and "# --- workers ---" in script
    assert "# --- signal ---" not in script
    _bash_n(script)
    _shellcheck(script)


def test_user_data_in_templates_is_base64_able() -> None:
    """Sanity: a rendered script is plain ASCII text (EC2 takes it base64-encoded)."""
    script = render(list(RECIPES[:3]), CONTEXT)
    assert base64.b64decode(base64.b64encode(script.encode())).decode() == script


def test_a_log_group_adds_the_agent_right_after_the_prelude() -> None:
    """The agent starts before anything can fail, so a failed boot's log reaches CloudWatch."""
    script = render(["node", "systemd"], {**APP_CONTEXT, "service": "web",
                                          "log_group": "/cloudc/shop-dev/servers/web"})
    _bash_n(script)
    _shellcheck(script)
    assert script.index("# --- prelude ---") < script.index("# --- logs ---") \
        < script.index("# --- aws ---")
    assert "CLOUDC_LOG_GROUP=/cloudc/shop-dev/servers/web\n" in script
    assert "CLOUDC_LOG_FILES='boot web web-queue web-cron-scheduler'\n" in script
    assert "# --- logs ---" not in render(["node", "systemd"], APP_CONTEXT)
