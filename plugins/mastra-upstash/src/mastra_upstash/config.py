"""``UpstashConfig``: the options of :class:`~mastra_upstash.store.UpstashStore` (validated, secrets redacted)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

import attrs
from mastra_core.connect import DEFAULT_CONNECT_TIMEOUT
from mastra_core.log import redact

#: URL schemes a ``url`` may have (an Upstash REST URL is ``https://``, or ``http://`` for a local stand-in).
URL_SCHEMES = ("redis", "rediss", "https", "http", "upstash", "unix")
_UPSTASH_SCHEMES = ("https", "http", "upstash")
#: ``transport`` values: ``auto`` picks REST for an ``https://``/``http://`` URL, the Redis protocol otherwise.
TRANSPORTS = ("auto", "rest", "redis")


def _check_url(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValueError("url must be a non-empty string")
    scheme = urlsplit(value).scheme.lower()
    if scheme not in URL_SCHEMES:
        raise ValueError(f"url must be a redis://, rediss://, unix:// or Upstash https:// URL, got scheme {scheme!r}")


def _show_url(value: str | None) -> str:
    return "None" if value is None else repr(redact(value))


def _positive_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= 1


@attrs.define(kw_only=True)
class UpstashConfig:
    """Options of :class:`~mastra_upstash.store.UpstashStore`.

    Give exactly one of ``url`` or ``client``:

    - ``url`` + ``token``: the Upstash console's REST URL (``https://<name>.upstash.io``) and token; the
      store speaks Upstash's REST API (``transport="rest"``, chosen by the URL). With ``transport="redis"``
      it connects to ``rediss://default:<token>@<name>.upstash.io:6379`` (Upstash's TLS Redis endpoint).
    - ``url`` alone: any ``redis://`` / ``rediss://`` / ``unix://`` URL (the console's TLS URL, or any Redis);
      a ``token`` given with such a URL is used as the password.
    - ``client``: a ``redis.asyncio.Redis`` you own (the store never closes it).

    ``http_client`` is an ``httpx.AsyncClient`` you own for the REST transport (the store never closes it).
    ``prefix`` starts every key (default ``mastra:``) so several stores can share one database.
    """

    url: str | None = attrs.field(default=None, validator=_check_url, repr=_show_url)
    token: str | None = attrs.field(default=None, repr=False)
    client: Any = None
    transport: str = "auto"
    http_client: Any = None
    prefix: str = "mastra:"
    max_connections: int = 50
    socket_timeout: float | None = 30.0
    #: Seconds to establish a connection (``init()`` PINGs the server and fails after this).
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    retries: int = 3

    def __attrs_post_init__(self) -> None:
        """Refuse option combinations that cannot work (checked when the store is built, before any I/O)."""
        if (self.url is None) == (self.client is None):
            raise ValueError("give exactly one of url (with token for an Upstash https URL) or client")
        if self.token is not None and (not isinstance(self.token, str) or not self.token):
            raise ValueError("token must be a non-empty string")
        if self.url is not None:
            parts = urlsplit(self.url)
            if parts.scheme.lower() in _UPSTASH_SCHEMES and not (self.token or parts.password):
                raise ValueError("an Upstash https:// URL needs the token")
        if not isinstance(self.prefix, str):
            raise ValueError("prefix must be a string")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError("retries must be an integer >= 0")
        ct = self.connect_timeout
        if isinstance(ct, bool) or not isinstance(ct, int | float) or ct <= 0:
            raise ValueError(f"connect_timeout must be a positive number, got {ct!r}")
        if not _positive_int(self.max_connections):
            raise ValueError("max_connections must be a positive integer")
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}")
        rest = self.transport_name() == "rest"
        if rest and self.client is not None:
            raise ValueError("client is a redis-py client: the REST transport takes url + token (and http_client)")
        if rest and self.url is not None and urlsplit(self.url).scheme.lower() not in ("https", "http"):
            raise ValueError("the REST transport needs an Upstash REST URL: https://<name>.upstash.io")
        if self.http_client is not None and not rest:
            raise ValueError("http_client is only used by the REST transport (an https:// URL)")

    def transport_name(self) -> str:
        """``rest`` or ``redis``: ``auto`` means REST for an ``https://``/``http://`` URL."""
        if self.transport != "auto":
            return self.transport
        scheme = urlsplit(self.url).scheme.lower() if self.url else ""
        return "rest" if scheme in ("https", "http") else "redis"

    def rest_url(self) -> str:
        """The REST endpoint, without credentials or a trailing slash."""
        parts = urlsplit(self.url or "")
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return parts._replace(netloc=netloc, query="", fragment="").geturl().rstrip("/")

    def rest_token(self) -> str:
        """The REST token (``token``, or the URL's password); contains the secret: never log it."""
        return self.token or unquote(urlsplit(self.url or "").password or "")

    def redis_url(self) -> str:
        """The redis-py URL this config connects to (contains the secret: never log it)."""
        if self.url is None:
            raise ValueError("this config has a client, not a url")
        parts = urlsplit(self.url)
        if parts.scheme.lower() in _UPSTASH_SCHEMES:
            token = self.token or unquote(parts.password or "")
            return f"rediss://default:{quote(token, safe='')}@{parts.hostname or ''}:6379"
        if self.token and not parts.password:
            user = quote(parts.username or "default", safe="")
            netloc = f"{user}:{quote(self.token, safe='')}@{parts.hostname or ''}"
            if parts.port:
                netloc += f":{parts.port}"
            return parts._replace(netloc=netloc).geturl()
        return self.url
