"""Guilds: organisations whose members share a credit pool.

`membership` (guilds, members, roles), `invitations` (mailed single-use
links), `pool` (the pool's balance, spending from it, its ledger), `refunds`,
`funding` (moving a member's own credits into the pool), `limits` (what a
member may spend per day and month), `verification` (the pools checked
against their ledger). Routes: `endpoints` (`/api/v1/guilds`) and
`pool_endpoints` (`/api/v1/credits/guild/{guildId}`).

Row locks are always taken in this order, so that no two requests wait
for each other: a member's own balance, the guild row, the pool row, a
member's limits row.
"""
