"""Errors of the credits API; codes are stable, apps match on them."""

from __future__ import annotations

from mana_core_auth.errors import AppError, Conflict, NotFound


class InsufficientCredits(AppError):
    # The message is the original service's; apps compare it verbatim.
    code = "INSUFFICIENT_CREDITS"
    message = "Insufficient credits"


class IdempotencyKeyReused(AppError):
    status_code = 422
    code = "IDEMPOTENCY_KEY_REUSED"
    message = "This idempotency key was already used with a different request"


class BalanceNotFound(NotFound):
    code = "BALANCE_NOT_FOUND"
    message = "No credit balance for this user"


class TransactionNotFound(NotFound):
    code = "TRANSACTION_NOT_FOUND"
    message = "Transaction not found"


class NotRefundable(AppError):
    code = "NOT_REFUNDABLE"
    message = "Only completed usage transactions can be refunded"


class AlreadyRefunded(Conflict):
    code = "ALREADY_REFUNDED"
    message = "This transaction has already been refunded"


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"
    message = "No user with this email"
