"""Every schedule expression in the config, parsed and range-checked the way AWS reads it.

EventBridge rules (function `events: - schedule:`) take `rate(...)` and `cron(...)`; EventBridge
Scheduler (`schedules`) also takes a one-off `at(...)` and a time zone; AWS Backup (`backups`)
takes `cron(...)` at most once an hour. Cron has six fields, `minutes hours day-of-month month
day-of-week year`, and exactly one of day-of-month and day-of-week is `?`.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean
from cloudc.source import Path

NEEDS = "config"
CODES = (
    Code("E3110", "schedule expression AWS rejects",
         "cron, rate and at expressions are parsed field by field: ranges, steps, names, "
         "`?`/L/W/#, singular and plural rate units, AWS Backup's once-an-hour limit"),
    Code("E3111", "unknown time zone",
         "a schedule's `timezone` must be an IANA time zone name EventBridge Scheduler knows"),
)

CRON_FORM = "cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 12 * * ? *)"
RATE_FORM = "rate(1 minute), rate(5 minutes), rate(1 hour), rate(2 days)"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# name, low, high, names (1-based)
FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minutes", 0, 59, ()), ("hours", 0, 23, ()), ("day-of-month", 1, 31, ()),
    ("month", 1, 12, MONTHS), ("day-of-week", 1, 7, DAYS), ("year", 1970, 2199, ()),
)
_RATE = re.compile(r"^(\d+)\s+([a-z]+)$")
_AT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$")


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report every schedule expression AWS would reject."""
    for name, fn in cx.section("functions").items():
        for i, event in enumerate(getattr(fn, "events", None) or []):
            text = getattr(event, "schedule", None)
            if text is not None:
                yield from _expression(text, ("functions", name, "events", i, "schedule"),
                                       allow_at=False, what="an EventBridge rule")
    for name, spec in cx.section("schedules").items():
        path: Path = ("schedules", name)
        if spec.cron is not None:
            yield from _cron_finding(_unwrap(spec.cron, "cron"), path + ("cron",))
        elif spec.rate is not None:
            yield from _rate_finding(_unwrap(spec.rate, "rate"), path + ("rate",))
        elif spec.at is not None:
            yield from _at_finding(_unwrap(spec.at, "at"), path + ("at",))
        yield from _timezone(spec.timezone, path + ("timezone",))
    for name, plan in cx.section("backups").items():
        where = ("backups", name, "schedule")
        text = plan.schedule.strip()
        if not (text.startswith("cron(") and text.endswith(")")):
            continue  # the schema's pattern reports it
        yield from _cron_finding(text[5:-1].strip(), where, backup=True)


def _expression(text: str, path: Path, *, allow_at: bool, what: str) -> Iterator[Finding]:
    text = text.strip()
    for word, fn in (("cron", _cron_finding), ("rate", _rate_finding)):
        if text.startswith(f"{word}(") and text.endswith(")"):
            yield from fn(text[len(word) + 1:-1].strip(), path)
            return
    if text.startswith("at(") and not allow_at:
        yield Finding("E3110", f"{what} takes `rate(...)` or `cron(...)`, not `{text}`", path,
                      "for a one-off run, declare it in `schedules` with `at:`")
        return
    yield Finding("E3110", f"`{text}` is not a schedule expression", path,
                  f"expected {RATE_FORM} or {CRON_FORM}")


def _unwrap(text: str, word: str) -> str:
    text = text.strip()
    if text.startswith(f"{word}(") and text.endswith(")"):
        return text[len(word) + 1:-1].strip()
    return text


def _cron_finding(body: str, path: Path, *, backup: bool = False) -> Iterator[Finding]:
    problem = cron_problem(body, backup=backup)
    if problem is not None:
        message, hint = problem
        yield Finding("E3110", f"cron `{body}`: {message}", path, hint)


def _rate_finding(body: str, path: Path) -> Iterator[Finding]:
    problem = rate_problem(body)
    if problem is not None:
        message, hint = problem
        yield Finding("E3110", f"rate `{body}`: {message}", path, hint)


def _at_finding(body: str, path: Path) -> Iterator[Finding]:
    m = _AT.match(body)
    ok = m is not None
    if m is not None:
        y, mo, d, h, mi, s = (int(g) for g in m.groups())
        ok = 1 <= mo <= 12 and 1 <= d <= _days_in(y, mo) and h <= 23 and mi <= 59 and s <= 59
    if not ok:
        yield Finding("E3110", f"at `{body}` is not a date and time yyyy-mm-ddThh:mm:ss", path,
                      "e.g. `at: 2030-01-31T09:00:00`")


def _days_in(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0


def rate_problem(body: str) -> tuple[str, str] | None:
    """Return (problem, hint) for a rate body such as `5 minutes`, or None when AWS takes it.

    >>> rate_problem("1 minutes")
    ('one minute is written `1 minute`', 'expected `rate(1 minute)`')
    """
    m = _RATE.match(body.strip())
    if m is None:
        return "not `N unit`", f"expected {RATE_FORM}"
    n, unit = int(m.group(1)), m.group(2)
    singular = unit.removesuffix("s")
    if singular not in ("minute", "hour", "day"):
        return f"unknown unit `{unit}`", f"units are minute(s), hour(s) and day(s): {RATE_FORM}"
    if n == 0:
        return "the value must be a positive whole number", f"expected {RATE_FORM}"
    want = singular if n == 1 else singular + "s"
    if unit != want:
        what = f"one {singular} is written `1 {want}`" if n == 1 else \
            f"{n} {singular}s take the plural `{want}`"
        return what, f"expected `rate({n} {want})`"
    return None


def cron_problem(body: str, *, backup: bool = False) -> tuple[str, str] | None:
    """Return (problem, hint) for a six-field EventBridge cron body, or None when AWS takes it.

    >>> cron_problem("0 12 * * ? *") is None
    True
    >>> cron_problem("0 25 * * ? *")[0]
    'hours `25` is out of range 0-23'
    """
    fields = body.split()
    if len(fields) == 5:  # a crontab line: AWS adds the year and needs `?` in a day field
        f = fields + ["*"]
        if "?" not in (f[2], f[4]):
            f[4 if f[4] == "*" else 2] = "?"
        return ("has 5 fields, like crontab; AWS cron takes six, the last is the year",
                f"e.g. `cron({' '.join(f)})`")
    if len(fields) != 6:
        return (f"has {len(fields)} field{'s' if len(fields) != 1 else ''}; cron takes six",
                f"expected {CRON_FORM}")
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        fixed = " ".join(fields[:4] + ["?", fields[5]]) if dom != "?" else \
            " ".join(fields[:2] + ["*", fields[3], "?", fields[5]])
        why = "sets both day-of-month and day-of-week" if dom != "?" else \
            "leaves both day-of-month and day-of-week as `?`"
        return f"{why}; exactly one of them must be `?`", f"e.g. `cron({fixed})`"
    for i, text in enumerate(fields):
        problem = _field_problem(i, text)
        if problem is not None:
            return problem, f"expected {CRON_FORM}"
    if backup and not re.fullmatch(r"\d+", fields[0]):
        return ("runs more than once an hour; AWS Backup allows one backup an hour at most",
                "give the minutes field one number, e.g. `cron(0 * * * ? *)` for hourly")
    return None


def _field_problem(i: int, text: str) -> str | None:
    name, low, high, names = FIELDS[i]
    if text == "?":
        return None if i in (2, 4) else "`?` is only allowed in day-of-month or day-of-week"
    parts = text.split(",")
    if i == 4 and "#" in text and len(parts) > 1:
        return f"day-of-week `{text}` mixes `#` with a list; `#` allows one expression only"
    for part in parts:
        problem = _part_problem(i, part, name, low, high, names)
        if problem is not None:
            return problem
    return None


def _part_problem(i: int, part: str, name: str, low: int, high: int,
                  names: tuple[str, ...]) -> str | None:
    if i == 2 and re.fullmatch(r"L|LW|L-\d+", part):
        return None
    if i == 2 and (m := re.fullmatch(r"(\d+)W", part)):
        return None if low <= int(m.group(1)) <= high else \
            f"{name} `{part}`: {m.group(1)} is out of range {low}-{high}"
    if i == 4 and part == "L":
        return None
    if i == 4 and (m := re.fullmatch(r"([A-Z0-9]+)(L|#(\d+))", part)):
        day = _value(m.group(1), low, high, names)
        if day is None:
            return f"{name} `{part}`: `{m.group(1)}` is not a day (1-7 or SUN-SAT)"
        if m.group(3) is not None and not 1 <= int(m.group(3)) <= 5:
            return f"{name} `{part}`: the week after `#` is 1-5"
        return None
    base, _, step = part.partition("/")
    if "/" in part:
        if i == 4:
            return f"{name} `{part}`: `/` is not allowed in day-of-week"
        if not step.isdigit() or int(step) == 0:
            return f"{name} `{part}`: the step after `/` must be a positive number"
        if int(step) > high:
            return f"{name} `{part}`: step {step} is larger than {high}"
    if base == "*":
        return None
    lo_text, dash, hi_text = base.partition("-")
    for v in ((lo_text, hi_text) if dash else (lo_text,)):
        if _value(v, low, high, names) is None:
            return _bad_value(name, v, low, high, names)
    return None


def _value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        n = int(text)
        return n if low <= n <= high else None
    up = text.upper()
    if names and up in names:
        return names.index(up) + 1
    return None


def _bad_value(name: str, text: str, low: int, high: int, names: tuple[str, ...]) -> str:
    if text.isdigit():
        return f"{name} `{text}` is out of range {low}-{high}"
    named = f" or {names[0]}-{names[-1]}" if names else ""
    return f"{name} `{text}` is not a value ({low}-{high}{named})"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    try:
        import zoneinfo

        return frozenset(zoneinfo.available_timezones())
    except Exception:  # no tz database on this machine: skip the check
        return frozenset()


def _timezone(tz: str, path: Path) -> Iterator[Finding]:
    zones = _zones()
    if zones and tz not in zones and tz != "UTC":
        yield Finding("E3111", f"unknown time zone `{tz}`", path,
                      did_you_mean(tz, zones) or "use an IANA name such as Europe/Paris")
