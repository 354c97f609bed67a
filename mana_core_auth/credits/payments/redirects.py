"""Where Stripe Checkout may send the buyer back to: only the origins of
the configured apps (`PUBLIC_URLS` and `DEFAULT_PUBLIC_URL`), so a checkout
link can never be turned into a redirect to someone else's site."""

from __future__ import annotations

from urllib.parse import urlsplit

from mana_core_auth.credits.payments.errors import RedirectNotAllowed
from mana_core_auth.settings import Settings

Origin = tuple[str, str, int]
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL without credentials; None for
    anything else, including what browsers read differently from Python
    (backslashes, whitespace, control characters)."""
    if any(char == "\\" or char.isspace() or ord(char) < 32 for char in url):
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or parts.username is not None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def allowed_origins(settings: Settings) -> set[Origin]:
    urls = [settings.default_public_url, *settings.public_urls.values()]
    return {origin for url in urls if (origin := origin_of(url)) is not None}


def checked_redirect(url: str | None, settings: Settings) -> str:
    """`url` if it leads to a configured app, the default public URL if
    there is none.

    :raises RedirectNotAllowed: for any other URL.
    """
    if url is None:
        return settings.default_public_url
    if origin_of(url) not in allowed_origins(settings):
        raise RedirectNotAllowed()
    return url
