"""Buying credits: Stripe Checkout sessions, and the signed webhook that
completes purchases exactly once and takes credits back on refunds and
disputes, every balance change through the ledger writer."""
