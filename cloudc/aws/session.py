"""boto3 clients for one region/profile/endpoint, and API failures as one-line errors."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

# A dead endpoint (accepts connections, never answers) must be reported within 20 s:
# 3 attempts x 4 s + standard-mode backoff (at most 1 s + 2 s) = 15 s. CLOUDC_AWS_TIMEOUT
# (seconds) changes the connect and read timeouts; AWS_MAX_ATTEMPTS the attempts.
DEFAULT_TIMEOUT = 4.0
MAX_BACKOFF = 1.0 + 2.0  # botocore standard mode: random() * 2 ** (attempt - 1), per retry
DEFAULT_ATTEMPTS = 3


def timeouts() -> tuple[float, int | None]:
    """Return (connect/read timeout in seconds, max attempts or None for AWS_MAX_ATTEMPTS)."""
    raw = os.environ.get("CLOUDC_AWS_TIMEOUT", "")
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        seconds = DEFAULT_TIMEOUT
    if not 0 < seconds <= 3600:
        seconds = DEFAULT_TIMEOUT
    return seconds, None if os.environ.get("AWS_MAX_ATTEMPTS") else DEFAULT_ATTEMPTS


class AwsError(Exception):
    """An AWS/API failure, already phrased as one line for the user (exit code 3)."""


class Aws:
    """Create (and cache) boto3 clients for one region, profile and endpoint."""

    def __init__(self, region: str | None, profile: str | None = None,
                 endpoint_url: str | None = None) -> None:
        self.region = region
        self.profile = profile
        self.endpoint_url = endpoint_url
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """Return the boto3 client for `service` (one per service, shared by threads)."""
        if service not in self._clients:
            with api_errors(f"set up the {service} client"):
                try:
                    import boto3
                    from botocore.config import Config
                except ImportError as exc:
                    raise AwsError("boto3 is not installed: pip install boto3") from exc
                if self._session is None:
                    self._session = boto3.session.Session(profile_name=self.profile,
                                                          region_name=self.region)
                # Standard retries; AWS_MAX_ATTEMPTS (read by botocore) still applies.
                seconds, attempts = timeouts()
                retries: dict[str, Any] = {"mode": "standard"}
                if attempts is not None:
                    retries["total_max_attempts"] = attempts
                config = Config(retries=retries, connect_timeout=seconds, read_timeout=seconds)
                self._clients[service] = self._session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url,
                    config=config)
        return self._clients[service]


def error_code(exc: BaseException | None) -> str:
    """Return the AWS error code of a ClientError, else ''."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


@contextlib.contextmanager
def api_errors(doing: str) -> Iterator[None]:
    """Turn botocore failures raised inside the block into an AwsError saying what failed."""
    try:
        from botocore import exceptions as bx
        from botocore.parsers import ResponseParserError
    except ImportError as exc:
        raise AwsError("boto3 is not installed: pip install boto3") from exc
    try:
        yield
    except AwsError:
        raise
    except bx.NoCredentialsError as exc:
        raise AwsError(f"cannot {doing}: no AWS credentials found (set AWS_PROFILE or "
                       "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --profile)") from exc
    except bx.ProfileNotFound as exc:
        raise AwsError(f"cannot {doing}: {exc}") from exc
    except bx.NoRegionError as exc:
        raise AwsError(f"cannot {doing}: no region (pass --region or set project.region)") from exc
    except bx.EndpointConnectionError as exc:
        raise AwsError(f"cannot {doing}: endpoint unreachable: {exc}") from exc
    except (bx.ReadTimeoutError, bx.ConnectTimeoutError) as exc:
        raise AwsError(f"cannot {doing}: the endpoint did not answer in time ({exc}); "
                       "CLOUDC_AWS_TIMEOUT sets the timeout in seconds") from exc
    except ResponseParserError as exc:
        raise AwsError(f"cannot {doing}: the endpoint's reply is not an AWS API response "
                       f"({_first_line(exc)}); check --endpoint-url") from exc
    except bx.ClientError as exc:
        err = exc.response.get("Error", {})
        message = _first_line(err.get("Message") or exc)
        raise AwsError(f"cannot {doing}: {err.get('Code', 'error')}: {message}") from exc
    except bx.BotoCoreError as exc:
        raise AwsError(f"cannot {doing}: {_first_line(exc)}") from exc
    except ValueError as exc:  # botocore's own checks (an endpoint URL it cannot use, ...)
        raise AwsError(f"cannot {doing}: {_first_line(exc)}") from exc
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        if not _raised_in_botocore(exc):
            raise
        # botocore parsed a reply that is not an AWS API response (an HTML error page from
        # a proxy or a wrong --endpoint-url) and tripped over the missing fields.
        raise AwsError(f"cannot {doing}: the endpoint's reply is not an AWS API response "
                       f"({type(exc).__name__}: {_first_line(exc)}); check --endpoint-url") \
            from exc


def _raised_in_botocore(exc: BaseException) -> bool:
    """Say whether the innermost frame of `exc`'s traceback is botocore's code."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and f"{os.sep}botocore{os.sep}" in last


def _first_line(exc: object, limit: int = 300) -> str:
    """Return the first non-empty line of an error, cut short (an HTML page is not a message)."""
    text = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "")
    return text if len(text) <= limit else text[: limit - 3] + "..."
