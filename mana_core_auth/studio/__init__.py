"""The parts of the admin studio at `/admin/` (Piccolo Admin): a CRUD layer
that never sends or writes secrets, the login gate (allowed hosts, limits in
PostgreSQL, two-factor, security events), the admin's two-factor provider and
operator forms. `mana_core_auth.admin` puts them together."""
