"""Errors of checkout and the Stripe webhook; codes are stable."""

from __future__ import annotations

from mana_core_auth.errors import AppError, NotFound, ServiceUnavailable


class PaymentsNotConfigured(ServiceUnavailable):
    code = "PAYMENTS_NOT_CONFIGURED"
    message = "Payments are not configured on this server"


class PackageNotFound(NotFound):
    code = "PACKAGE_NOT_FOUND"
    message = "No such package on sale"


class RedirectNotAllowed(AppError):
    code = "REDIRECT_URL_NOT_ALLOWED"
    message = "Redirect URLs must lead to one of the configured apps"


class PaymentProviderUnavailable(AppError):
    status_code = 502
    code = "PAYMENT_PROVIDER_UNAVAILABLE"
    message = "The payment provider did not answer; try again"


class InvalidSignature(AppError):
    code = "INVALID_STRIPE_SIGNATURE"
    message = "Missing, invalid or expired Stripe-Signature"


class InvalidEvent(AppError):
    code = "INVALID_STRIPE_EVENT"
    message = "Not a Stripe event"
