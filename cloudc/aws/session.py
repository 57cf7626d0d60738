"""boto3 clients for one region/profile/endpoint, and API failures as one-line errors."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator


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
                config = Config(retries={"mode": "standard"}, connect_timeout=10,
                                read_timeout=60)
                self._clients[service] = self._session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url,
                    config=config)
        return self._clients[service]


def error_code(exc: BaseException) -> str:
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
    except bx.ClientError as exc:
        err = exc.response.get("Error", {})
        raise AwsError(f"cannot {doing}: {err.get('Code', 'error')}: "
                       f"{err.get('Message', exc)}") from exc
    except bx.BotoCoreError as exc:
        raise AwsError(f"cannot {doing}: {exc}") from exc
