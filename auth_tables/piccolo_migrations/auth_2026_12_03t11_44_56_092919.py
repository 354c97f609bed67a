from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T11:44:56:092919"
VERSION = "1.38.0"
DESCRIPTION = "notify every worker when a session ends or a user is deleted"

# Read by mana_core_auth/auth/revocation.py. A session family has ended when
# none of its rows is unrevoked and unexpired. Deferred to the commit, so a
# refresh (which revokes a row, then inserts its successor) is judged on the
# state it leaves: still live, and nothing is sent. A family comes back only
# when an operator clears revoked_at or moves expires_at. Only a change to a
# live row can end a family, and only a live row can bring one back: the
# cleanup deleting long-dead rows sends nothing.
FORWARDS = [
    """
    CREATE FUNCTION auth.notify_session_family() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        family uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.family_id
                            ELSE NEW.family_id END;
        live boolean;
    BEGIN
        SELECT EXISTS (
            SELECT 1 FROM auth.sessions
            WHERE family_id = family AND revoked_at IS NULL AND expires_at > now()
        ) INTO live;
        IF NOT live THEN
            PERFORM pg_notify('mana_sessions', 'family:' || family || ':ended');
        ELSIF TG_OP = 'UPDATE' AND (
            (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NULL)
            OR NEW.expires_at > OLD.expires_at
        ) THEN
            PERFORM pg_notify('mana_sessions', 'family:' || family || ':live');
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.family_id IS DISTINCT FROM NEW.family_id THEN
            IF NOT EXISTS (
                SELECT 1 FROM auth.sessions
                WHERE family_id = OLD.family_id
                  AND revoked_at IS NULL AND expires_at > now()
            ) THEN
                PERFORM pg_notify(
                    'mana_sessions', 'family:' || OLD.family_id || ':ended'
                );
            END IF;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER sessions_notify_update
    AFTER UPDATE OF revoked_at, expires_at, family_id ON auth.sessions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (
        (
            OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
            OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
            OR OLD.family_id IS DISTINCT FROM NEW.family_id
        ) AND (
            (OLD.revoked_at IS NULL AND OLD.expires_at > now())
            OR (NEW.revoked_at IS NULL AND NEW.expires_at > now())
        )
    )
    EXECUTE FUNCTION auth.notify_session_family()
    """,
    """
    CREATE CONSTRAINT TRIGGER sessions_notify_delete
    AFTER DELETE ON auth.sessions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.revoked_at IS NULL AND OLD.expires_at > now())
    EXECUTE FUNCTION auth.notify_session_family()
    """,
    """
    CREATE FUNCTION auth.notify_user_deletion() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify(
            'mana_sessions',
            'user:' || NEW.id || CASE WHEN NEW.deleted_at IS NULL
                                      THEN ':live' ELSE ':ended' END
        );
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER users_notify_deletion
    AFTER UPDATE OF deleted_at ON auth.users
    FOR EACH ROW
    WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION auth.notify_user_deletion()
    """,
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS users_notify_deletion ON auth.users",
    "DROP FUNCTION IF EXISTS auth.notify_user_deletion()",
    "DROP TRIGGER IF EXISTS sessions_notify_delete ON auth.sessions",
    "DROP TRIGGER IF EXISTS sessions_notify_update ON auth.sessions",
    "DROP FUNCTION IF EXISTS auth.notify_session_family()",
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    async def run():
        engine = engine_finder()
        assert engine is not None
        for statement in FORWARDS:
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        for statement in BACKWARDS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
