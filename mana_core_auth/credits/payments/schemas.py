"""Request and response bodies of checkout and the webhook."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field, StrictStr

from mana_core_auth.schemas import ApiModel, NoNul

RedirectUrl = Annotated[StrictStr, Field(min_length=1, max_length=2048), NoNul]


class CheckoutRequest(ApiModel):
    package_id: uuid.UUID
    # Must lead to a configured app (PUBLIC_URLS, DEFAULT_PUBLIC_URL);
    # default: DEFAULT_PUBLIC_URL. Stripe replaces {CHECKOUT_SESSION_ID}.
    success_url: RedirectUrl | None = None
    cancel_url: RedirectUrl | None = None


class CheckoutResponse(ApiModel):
    purchase_id: uuid.UUID
    checkout_url: str
    session_id: str


class WebhookResponse(ApiModel):
    received: bool = True
    outcome: str
