"""Applying, checking and reporting the schema migrations: one migrator at a
time (`lock`), an empty database created from the schema snapshot at once
(`snapshot`), what is not applied yet (`pending`, for `/ready`), and
whether the tables and the committed migrations agree (`drift`)."""
