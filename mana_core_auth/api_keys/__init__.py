"""API keys: service keys that app backends call with, and personal keys
that users make for their own scripts and that other services validate.

`keys` makes, recognises and hashes them; `service` stores, lists, revokes
and authenticates them; `endpoints` is `/api/v1/api-keys`. Who may do what
is asked in one place, `mana_core_auth.auth.caller`.
"""
