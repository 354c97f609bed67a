-- The database as every committed migration leaves it, with the rows they
-- write: what `python -m mana_core_auth.migrations` gives an empty database,
-- in one transaction. Made by `python -m mana_core_auth.migrations.snapshot
-- --write` from a database migrated by Piccolo; regenerate it after adding
-- a migration rather than editing it.

CREATE SCHEMA auth;

CREATE SCHEMA credits;

CREATE FUNCTION auth.notify_session_family() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
    $$;

CREATE FUNCTION auth.notify_user_deletion() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        PERFORM pg_notify(
            'mana_sessions',
            'user:' || NEW.id || CASE WHEN NEW.deleted_at IS NULL
                                      THEN ':live' ELSE ':ended' END
        );
        RETURN NULL;
    END
    $$;

CREATE TABLE auth.accounts (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    provider character varying(64) DEFAULT ''::character varying NOT NULL,
    provider_account_id character varying(255) DEFAULT ''::character varying NOT NULL,
    access_token text,
    refresh_token text,
    expires_at timestamp with time zone,
    token_type character varying(64) DEFAULT NULL::character varying,
    scope text,
    id_token text,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE auth.api_keys (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    kind character varying(16) DEFAULT ''::character varying NOT NULL,
    name character varying(100) DEFAULT ''::character varying NOT NULL,
    app_id character varying(255) DEFAULT NULL::character varying,
    user_id uuid,
    prefix character varying(32) DEFAULT ''::character varying NOT NULL,
    key_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    scopes character varying(32)[] DEFAULT '{}'::character varying[] NOT NULL,
    rate_limit_requests integer,
    rate_limit_window_seconds integer DEFAULT 3600 NOT NULL,
    created_by character varying(255) DEFAULT NULL::character varying,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    last_used_at timestamp with time zone,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT api_keys_kind_check CHECK (((kind)::text = ANY ((ARRAY['service'::character varying, 'personal'::character varying])::text[]))),
    CONSTRAINT api_keys_owner_check CHECK (((((kind)::text = 'service'::text) AND (app_id IS NOT NULL) AND (user_id IS NULL)) OR (((kind)::text = 'personal'::text) AND (user_id IS NOT NULL) AND (app_id IS NULL)))),
    CONSTRAINT api_keys_rate_limit_positive CHECK ((((rate_limit_requests IS NULL) OR (rate_limit_requests > 0)) AND (rate_limit_window_seconds > 0))),
    CONSTRAINT api_keys_scopes_check_v1 CHECK (((((kind)::text = 'service'::text) AND (cardinality(scopes) > 0) AND (scopes <@ ARRAY['credits:spend'::character varying, 'credits:refund'::character varying, 'auth:validate'::character varying])) OR (((kind)::text = 'personal'::text) AND (cardinality(scopes) > 0) AND (scopes <@ ARRAY['credits:read'::character varying, 'credits:spend'::character varying]))))
);

CREATE TABLE auth.guild_invitations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    guild_id uuid NOT NULL,
    email text DEFAULT ''::text NOT NULL,
    role character varying(16) DEFAULT 'member'::character varying NOT NULL,
    token_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    invited_by uuid,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    accepted_at timestamp with time zone,
    accepted_by uuid,
    revoked_at timestamp with time zone,
    CONSTRAINT guild_invitations_accepted_or_revoked CHECK (((accepted_at IS NULL) OR (revoked_at IS NULL))),
    CONSTRAINT guild_invitations_email_lower_check CHECK ((email = lower(btrim(email)))),
    CONSTRAINT guild_invitations_role_check CHECK (((role)::text = ANY ((ARRAY['owner'::character varying, 'admin'::character varying, 'member'::character varying])::text[])))
);

CREATE TABLE auth.guild_members (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    guild_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role character varying(16) DEFAULT 'member'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT guild_members_role_check CHECK (((role)::text = ANY ((ARRAY['owner'::character varying, 'admin'::character varying, 'member'::character varying])::text[])))
);

CREATE TABLE auth.guilds (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name character varying(100) DEFAULT ''::character varying NOT NULL,
    slug character varying(64) DEFAULT ''::character varying NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT guilds_name_not_blank CHECK (((btrim((name)::text) <> ''::text) AND ((name)::text !~ '[[:cntrl:]]'::text))),
    CONSTRAINT guilds_slug_format CHECK (((slug)::text ~ '^[a-z0-9]+(-[a-z0-9]+)*$'::text))
);

CREATE TABLE auth.outbox_messages (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    recipient text DEFAULT ''::text NOT NULL,
    subject text DEFAULT ''::text NOT NULL,
    text text DEFAULT ''::text NOT NULL,
    html text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE auth.passwords (
    user_id uuid NOT NULL,
    hashed_password text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE auth.rate_limit_counters (
    key character varying(255) DEFAULT ''::character varying NOT NULL,
    window_started_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    hits integer DEFAULT 0 NOT NULL
);

CREATE TABLE auth.security_events (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid,
    event_type character varying(32) DEFAULT ''::character varying NOT NULL,
    ip_address character varying(45) DEFAULT NULL::character varying,
    user_agent text,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT security_events_type_check_v3 CHECK (((event_type)::text = ANY ((ARRAY['register'::character varying, 'login'::character varying, 'login_failed'::character varying, 'logout'::character varying, 'token_refresh'::character varying, 'refresh_token_reuse'::character varying, 'session_revoked'::character varying, 'password_change'::character varying, 'password_reset'::character varying, 'email_verified'::character varying, 'two_factor_enabled'::character varying, 'two_factor_disabled'::character varying, 'account_deleted'::character varying, 'suspicious_activity'::character varying, 'email_verification_sent'::character varying, 'password_reset_requested'::character varying, 'two_factor_setup'::character varying, 'two_factor_challenge'::character varying, 'two_factor_failed'::character varying, 'account_exported'::character varying, 'two_factor_reset'::character varying, 'backup_codes_regenerated'::character varying, 'admin_login'::character varying, 'admin_login_failed'::character varying, 'admin_write'::character varying, 'credit_shortfall'::character varying, 'api_key_created'::character varying, 'api_key_revoked'::character varying, 'api_key_rejected'::character varying])::text[])))
);

CREATE TABLE auth.sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    family_id uuid DEFAULT gen_random_uuid() NOT NULL,
    refresh_token_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    refresh_token_expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    ip_address character varying(45) DEFAULT NULL::character varying,
    user_agent text,
    device_id character varying(255) DEFAULT NULL::character varying,
    device_name character varying(255) DEFAULT NULL::character varying,
    last_activity_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    revoked_at timestamp with time zone,
    replaced_by uuid
);

CREATE TABLE auth.two_factor_auth (
    user_id uuid NOT NULL,
    secret text DEFAULT ''::text NOT NULL,
    enabled boolean DEFAULT false NOT NULL,
    backup_codes jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    enabled_at timestamp with time zone,
    last_used_step integer
);

CREATE TABLE auth.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text DEFAULT ''::text NOT NULL,
    email_verified boolean DEFAULT false NOT NULL,
    name character varying(255) DEFAULT NULL::character varying,
    avatar_url text,
    role character varying(16) DEFAULT 'user'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT users_email_lower_check CHECK ((email = lower(btrim(email)))),
    CONSTRAINT users_role_check CHECK (((role)::text = ANY ((ARRAY['user'::character varying, 'admin'::character varying, 'service'::character varying])::text[])))
);

CREATE TABLE auth.verification_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    token_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    type character varying(32) DEFAULT ''::character varying NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT verification_tokens_type_check CHECK (((type)::text = ANY ((ARRAY['email_verification'::character varying, 'password_reset'::character varying])::text[])))
);

CREATE TABLE credits.balances (
    user_id uuid NOT NULL,
    balance integer DEFAULT 0 NOT NULL,
    free_credits_remaining integer DEFAULT 150 NOT NULL,
    daily_free_credits integer DEFAULT 5 NOT NULL,
    last_daily_reset_at timestamp with time zone,
    total_earned integer DEFAULT 0 NOT NULL,
    total_spent integer DEFAULT 0 NOT NULL,
    version integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT balances_balance_non_negative CHECK ((balance >= 0)),
    CONSTRAINT balances_daily_free_non_negative CHECK ((daily_free_credits >= 0)),
    CONSTRAINT balances_free_credits_non_negative CHECK ((free_credits_remaining >= 0)),
    CONSTRAINT balances_totals_non_negative CHECK (((total_earned >= 0) AND (total_spent >= 0)))
);

CREATE TABLE credits.guild_member_limits (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    guild_id uuid NOT NULL,
    user_id uuid NOT NULL,
    daily_limit integer,
    monthly_limit integer,
    usage_day date,
    used_today integer DEFAULT 0 NOT NULL,
    used_this_month integer DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT guild_member_limits_non_negative CHECK ((((daily_limit IS NULL) OR (daily_limit >= 0)) AND ((monthly_limit IS NULL) OR (monthly_limit >= 0)) AND (used_today >= 0) AND (used_this_month >= used_today)))
);

CREATE TABLE credits.guild_pool_transactions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    guild_id uuid NOT NULL,
    user_id uuid,
    type character varying(16) DEFAULT ''::character varying NOT NULL,
    amount integer DEFAULT 0 NOT NULL,
    balance_before integer DEFAULT 0 NOT NULL,
    balance_after integer DEFAULT 0 NOT NULL,
    version integer DEFAULT 0 NOT NULL,
    app_id character varying(255) DEFAULT NULL::character varying,
    description text,
    metadata jsonb,
    idempotency_key character varying(255) DEFAULT NULL::character varying,
    request_fingerprint character varying(64) DEFAULT NULL::character varying,
    personal_transaction_id uuid,
    refund_of uuid,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT guild_pool_transactions_amount_sign CHECK (((((type)::text = 'usage'::text) AND (amount < 0)) OR (((type)::text <> 'usage'::text) AND (amount > 0)))),
    CONSTRAINT guild_pool_transactions_chain CHECK (((balance_before >= 0) AND (balance_after = (balance_before + amount)) AND (balance_after >= 0) AND (version > 0))),
    CONSTRAINT guild_pool_transactions_type_check CHECK (((type)::text = ANY ((ARRAY['funding'::character varying, 'usage'::character varying, 'refund'::character varying])::text[])))
);

CREATE TABLE credits.guild_pools (
    guild_id uuid NOT NULL,
    balance integer DEFAULT 0 NOT NULL,
    total_funded integer DEFAULT 0 NOT NULL,
    total_spent integer DEFAULT 0 NOT NULL,
    version integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT guild_pools_balance_is_funded_minus_spent CHECK ((balance = (total_funded - total_spent))),
    CONSTRAINT guild_pools_balance_non_negative CHECK ((balance >= 0)),
    CONSTRAINT guild_pools_totals_non_negative CHECK (((total_funded >= 0) AND (total_spent >= 0)))
);

CREATE TABLE credits.packages (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name character varying(255) DEFAULT ''::character varying NOT NULL,
    description text,
    credits integer DEFAULT 0 NOT NULL,
    price_euro_cents integer DEFAULT 0 NOT NULL,
    stripe_price_id character varying(255) DEFAULT NULL::character varying,
    active boolean DEFAULT true NOT NULL,
    sort_order integer DEFAULT 0 NOT NULL,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT packages_credits_positive CHECK ((credits > 0)),
    CONSTRAINT packages_price_positive CHECK ((price_euro_cents > 0))
);

CREATE TABLE credits.purchases (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    package_id uuid,
    credits integer DEFAULT 0 NOT NULL,
    price_euro_cents integer DEFAULT 0 NOT NULL,
    stripe_payment_intent_id character varying(255) DEFAULT NULL::character varying,
    stripe_customer_id character varying(255) DEFAULT NULL::character varying,
    status character varying(16) DEFAULT 'pending'::character varying NOT NULL,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    completed_at timestamp with time zone,
    credit_shortfall integer DEFAULT 0 NOT NULL,
    dispute_status character varying(32) DEFAULT NULL::character varying,
    disputed_credits integer DEFAULT 0 NOT NULL,
    refunded_credits integer DEFAULT 0 NOT NULL,
    stripe_checkout_session_id character varying(255) DEFAULT NULL::character varying,
    CONSTRAINT purchases_credits_positive CHECK ((credits > 0)),
    CONSTRAINT purchases_price_non_negative CHECK ((price_euro_cents >= 0)),
    CONSTRAINT purchases_status_valid CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'completed'::character varying, 'expired'::character varying, 'failed'::character varying, 'cancelled'::character varying])::text[]))),
    CONSTRAINT purchases_taken_back_within_credits CHECK ((((refunded_credits >= 0) AND (refunded_credits <= credits)) AND ((disputed_credits >= 0) AND (disputed_credits <= credits)) AND ((credit_shortfall >= 0) AND (credit_shortfall <= credits))))
);

CREATE TABLE credits.stripe_events (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    event_id character varying(255) DEFAULT ''::character varying NOT NULL,
    type character varying(255) DEFAULT ''::character varying NOT NULL,
    object_id character varying(255) DEFAULT NULL::character varying,
    payment_intent_id character varying(255) DEFAULT NULL::character varying,
    purchase_id uuid,
    outcome text,
    payload jsonb,
    stripe_created_at timestamp with time zone,
    received_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    processed_at timestamp with time zone
);

CREATE TABLE credits.transactions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    type character varying(16) DEFAULT ''::character varying NOT NULL,
    status character varying(16) DEFAULT 'pending'::character varying NOT NULL,
    amount integer DEFAULT 0 NOT NULL,
    balance_before integer DEFAULT 0 NOT NULL,
    balance_after integer DEFAULT 0 NOT NULL,
    app_id character varying(255) DEFAULT NULL::character varying,
    description text,
    metadata jsonb,
    idempotency_key character varying(255) DEFAULT NULL::character varying,
    request_fingerprint character varying(64) DEFAULT NULL::character varying,
    refund_of uuid,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    completed_at timestamp with time zone,
    balance_version integer,
    free_amount integer DEFAULT 0 NOT NULL,
    api_key_id uuid,
    CONSTRAINT transactions_amount_non_zero CHECK ((amount <> 0)),
    CONSTRAINT transactions_balance_after_non_negative CHECK (((balance_before >= 0) AND (balance_after >= 0))),
    CONSTRAINT transactions_balance_version_positive CHECK ((balance_version > 0)),
    CONSTRAINT transactions_free_amount_within_amount CHECK (((free_amount >= LEAST(amount, 0)) AND (free_amount <= GREATEST(amount, 0)))),
    CONSTRAINT transactions_status_check CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'completed'::character varying, 'failed'::character varying, 'cancelled'::character varying])::text[]))),
    CONSTRAINT transactions_type_check CHECK (((type)::text = ANY ((ARRAY['purchase'::character varying, 'usage'::character varying, 'refund'::character varying, 'bonus'::character varying, 'expiry'::character varying, 'adjustment'::character varying])::text[])))
);

CREATE TABLE credits.usage_stats (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    app_id character varying(255) DEFAULT ''::character varying NOT NULL,
    credits_used integer DEFAULT 0 NOT NULL,
    date date DEFAULT CURRENT_DATE NOT NULL,
    metadata jsonb,
    CONSTRAINT usage_stats_credits_used_non_negative CHECK ((credits_used >= 0))
);

CREATE TABLE public.authenticator_secret (
    id integer NOT NULL,
    user_id integer DEFAULT 0 NOT NULL,
    secret text DEFAULT ''::text NOT NULL,
    recovery_codes text[] DEFAULT '{}'::text[] NOT NULL,
    recovery_codes_used_at timestamp with time zone[] DEFAULT '{}'::timestamp with time zone[] NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    last_used_code text
);

CREATE SEQUENCE public.authenticator_secret_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.authenticator_secret_id_seq OWNED BY public.authenticator_secret.id;

CREATE TABLE public.migration (
    id integer NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    app_name character varying(200) DEFAULT ''::character varying NOT NULL,
    ran_on timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE SEQUENCE public.migration_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.migration_id_seq OWNED BY public.migration.id;

CREATE TABLE public.piccolo_user (
    id integer NOT NULL,
    username character varying(100) DEFAULT ''::character varying NOT NULL,
    password character varying(255) DEFAULT ''::character varying NOT NULL,
    email character varying(255) DEFAULT ''::character varying NOT NULL,
    active boolean DEFAULT false NOT NULL,
    admin boolean DEFAULT false NOT NULL,
    first_name character varying(255) DEFAULT ''::character varying,
    last_name character varying(255) DEFAULT ''::character varying,
    superuser boolean DEFAULT false NOT NULL,
    last_login timestamp without time zone
);

CREATE SEQUENCE public.piccolo_user_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.piccolo_user_id_seq OWNED BY public.piccolo_user.id;

CREATE TABLE public.sessions (
    id integer NOT NULL,
    token character varying(100) DEFAULT ''::character varying NOT NULL,
    user_id integer DEFAULT 0 NOT NULL,
    expiry_date timestamp without time zone DEFAULT (CURRENT_TIMESTAMP + '01:00:00'::interval) NOT NULL,
    max_expiry_date timestamp without time zone DEFAULT (CURRENT_TIMESTAMP + '7 days'::interval) NOT NULL
);

CREATE SEQUENCE public.sessions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.sessions_id_seq OWNED BY public.sessions.id;

ALTER TABLE ONLY public.authenticator_secret ALTER COLUMN id SET DEFAULT nextval('public.authenticator_secret_id_seq'::regclass);

ALTER TABLE ONLY public.migration ALTER COLUMN id SET DEFAULT nextval('public.migration_id_seq'::regclass);

ALTER TABLE ONLY public.piccolo_user ALTER COLUMN id SET DEFAULT nextval('public.piccolo_user_id_seq'::regclass);

ALTER TABLE ONLY public.sessions ALTER COLUMN id SET DEFAULT nextval('public.sessions_id_seq'::regclass);

INSERT INTO credits.packages (name, description, credits, price_euro_cents, stripe_price_id, active, sort_order, metadata) VALUES
    ('Starter', '500 mana for trying things out', '500', '500', NULL, 'true', '10', '{"seeded": true}'),
    ('Standard', '1,000 mana for regular use', '1000', '1000', NULL, 'true', '20', '{"seeded": true}'),
    ('Plus', '2,500 mana for heavy use', '2500', '2500', NULL, 'true', '30', '{"seeded": true}'),
    ('Pro', '5,000 mana for teams and power users', '5000', '5000', NULL, 'true', '40', '{"seeded": true}');

INSERT INTO public.migration (name, app_name) VALUES
    ('2026-11-24T13:43:06:319936', 'auth'),
    ('2026-11-24T14:06:15:461416', 'auth'),
    ('2026-12-03T06:26:39:553198', 'auth'),
    ('2026-12-03T06:49:54:361883', 'auth'),
    ('2026-12-03T06:50:47:475424', 'auth'),
    ('2026-12-03T06:56:13:819157', 'auth'),
    ('2026-12-03T11:44:56:092919', 'auth'),
    ('2019-11-12T20:47:17', 'session_auth'),
    ('2026-05-27T16:15:06:677127', 'session_auth'),
    ('2019-11-14T21:52:21', 'user'),
    ('2020-06-11T21:38:55', 'user'),
    ('2021-04-30T16:14:15', 'user'),
    ('2024-08-08T21:41:46:837552', 'mfa_authenticator'),
    ('2026-11-24T13:43:07:457932', 'credits'),
    ('2026-11-24T13:43:08:587030', 'credits'),
    ('2026-11-24T13:48:38:680685', 'credits'),
    ('2026-11-24T13:52:38:415156', 'credits'),
    ('2026-11-24T13:52:40:127643', 'credits'),
    ('2026-12-03T06:47:57:998243', 'credits'),
    ('2026-12-03T06:49:55:642956', 'credits'),
    ('2026-12-03T06:50:49:979947', 'credits');

ALTER TABLE ONLY auth.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.accounts
    ADD CONSTRAINT accounts_provider_account_unique UNIQUE (provider, provider_account_id);

ALTER TABLE ONLY auth.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);

ALTER TABLE ONLY auth.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.guild_invitations
    ADD CONSTRAINT guild_invitations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.guild_invitations
    ADD CONSTRAINT guild_invitations_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY auth.guild_members
    ADD CONSTRAINT guild_members_guild_user_unique UNIQUE (guild_id, user_id);

ALTER TABLE ONLY auth.guild_members
    ADD CONSTRAINT guild_members_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.guilds
    ADD CONSTRAINT guilds_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.guilds
    ADD CONSTRAINT guilds_slug_key UNIQUE (slug);

ALTER TABLE ONLY auth.outbox_messages
    ADD CONSTRAINT outbox_messages_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.passwords
    ADD CONSTRAINT passwords_pkey PRIMARY KEY (user_id);

ALTER TABLE ONLY auth.rate_limit_counters
    ADD CONSTRAINT rate_limit_counters_pkey PRIMARY KEY (key);

ALTER TABLE ONLY auth.security_events
    ADD CONSTRAINT security_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.sessions
    ADD CONSTRAINT sessions_refresh_token_hash_key UNIQUE (refresh_token_hash);

ALTER TABLE ONLY auth.two_factor_auth
    ADD CONSTRAINT two_factor_auth_pkey PRIMARY KEY (user_id);

ALTER TABLE ONLY auth.users
    ADD CONSTRAINT users_email_key UNIQUE (email);

ALTER TABLE ONLY auth.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.verification_tokens
    ADD CONSTRAINT verification_tokens_pkey PRIMARY KEY (id);

ALTER TABLE ONLY auth.verification_tokens
    ADD CONSTRAINT verification_tokens_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY credits.balances
    ADD CONSTRAINT balances_pkey PRIMARY KEY (user_id);

ALTER TABLE ONLY credits.guild_member_limits
    ADD CONSTRAINT guild_member_limits_guild_user_unique UNIQUE (guild_id, user_id);

ALTER TABLE ONLY credits.guild_member_limits
    ADD CONSTRAINT guild_member_limits_pkey PRIMARY KEY (id);

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_guild_idempotency_key_unique UNIQUE (guild_id, idempotency_key);

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_guild_version_unique UNIQUE (guild_id, version);

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_personal_transaction_id_key UNIQUE (personal_transaction_id);

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_refund_of_key UNIQUE (refund_of);

ALTER TABLE ONLY credits.guild_pools
    ADD CONSTRAINT guild_pools_pkey PRIMARY KEY (guild_id);

ALTER TABLE ONLY credits.packages
    ADD CONSTRAINT packages_pkey PRIMARY KEY (id);

ALTER TABLE ONLY credits.packages
    ADD CONSTRAINT packages_stripe_price_id_key UNIQUE (stripe_price_id);

ALTER TABLE ONLY credits.purchases
    ADD CONSTRAINT purchases_pkey PRIMARY KEY (id);

ALTER TABLE ONLY credits.purchases
    ADD CONSTRAINT purchases_stripe_checkout_session_id_key UNIQUE (stripe_checkout_session_id);

ALTER TABLE ONLY credits.purchases
    ADD CONSTRAINT purchases_stripe_payment_intent_id_key UNIQUE (stripe_payment_intent_id);

ALTER TABLE ONLY credits.stripe_events
    ADD CONSTRAINT stripe_events_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY credits.stripe_events
    ADD CONSTRAINT stripe_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY credits.transactions
    ADD CONSTRAINT transactions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY credits.transactions
    ADD CONSTRAINT transactions_refund_of_key UNIQUE (refund_of);

ALTER TABLE ONLY credits.transactions
    ADD CONSTRAINT transactions_user_balance_version_unique UNIQUE (user_id, balance_version);

ALTER TABLE ONLY credits.transactions
    ADD CONSTRAINT transactions_user_idempotency_key_unique UNIQUE (user_id, idempotency_key);

ALTER TABLE ONLY credits.usage_stats
    ADD CONSTRAINT usage_stats_pkey PRIMARY KEY (id);

ALTER TABLE ONLY credits.usage_stats
    ADD CONSTRAINT usage_stats_user_app_date_unique UNIQUE (user_id, app_id, date);

ALTER TABLE ONLY public.authenticator_secret
    ADD CONSTRAINT authenticator_secret_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.migration
    ADD CONSTRAINT migration_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.piccolo_user
    ADD CONSTRAINT piccolo_user_email_key UNIQUE (email);

ALTER TABLE ONLY public.piccolo_user
    ADD CONSTRAINT piccolo_user_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.piccolo_user
    ADD CONSTRAINT piccolo_user_username_key UNIQUE (username);

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);

CREATE INDEX accounts_user_id ON auth.accounts USING btree (user_id);

CREATE INDEX api_keys_user_id ON auth.api_keys USING btree (user_id);

CREATE INDEX guild_invitations_guild_id ON auth.guild_invitations USING btree (guild_id);

CREATE INDEX guild_members_user_id ON auth.guild_members USING btree (user_id);

CREATE INDEX outbox_messages_created_at ON auth.outbox_messages USING btree (created_at);

CREATE INDEX security_events_created_at ON auth.security_events USING btree (created_at);

CREATE INDEX security_events_user_id ON auth.security_events USING btree (user_id);

CREATE INDEX sessions_family_id ON auth.sessions USING btree (family_id);

CREATE INDEX sessions_user_id ON auth.sessions USING btree (user_id);

CREATE INDEX users_deleted_at ON auth.users USING btree (deleted_at);

CREATE INDEX verification_tokens_user_id ON auth.verification_tokens USING btree (user_id);

CREATE INDEX guild_member_limits_user_id ON credits.guild_member_limits USING btree (user_id);

CREATE INDEX guild_pool_transactions_created_at ON credits.guild_pool_transactions USING btree (created_at);

CREATE INDEX guild_pool_transactions_user_id ON credits.guild_pool_transactions USING btree (user_id);

CREATE INDEX purchases_user_id ON credits.purchases USING btree (user_id);

CREATE INDEX stripe_events_payment_intent_id ON credits.stripe_events USING btree (payment_intent_id);

CREATE INDEX stripe_events_purchase_id ON credits.stripe_events USING btree (purchase_id);

CREATE INDEX transactions_app_id ON credits.transactions USING btree (app_id);

CREATE INDEX transactions_created_at ON credits.transactions USING btree (created_at);

CREATE INDEX transactions_user_id ON credits.transactions USING btree (user_id);

CREATE INDEX transactions_user_id_created_at ON credits.transactions USING btree (user_id, created_at DESC);

CREATE INDEX usage_stats_app_id_date ON credits.usage_stats USING btree (app_id, date);

CREATE INDEX usage_stats_user_id_date ON credits.usage_stats USING btree (user_id, date);

CREATE CONSTRAINT TRIGGER sessions_notify_delete AFTER DELETE ON auth.sessions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (((old.revoked_at IS NULL) AND (old.expires_at > now()))) EXECUTE FUNCTION auth.notify_session_family();

CREATE CONSTRAINT TRIGGER sessions_notify_update AFTER UPDATE OF revoked_at, expires_at, family_id ON auth.sessions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((((old.revoked_at IS DISTINCT FROM new.revoked_at) OR (old.expires_at IS DISTINCT FROM new.expires_at) OR (old.family_id IS DISTINCT FROM new.family_id)) AND (((old.revoked_at IS NULL) AND (old.expires_at > now())) OR ((new.revoked_at IS NULL) AND (new.expires_at > now()))))) EXECUTE FUNCTION auth.notify_session_family();

CREATE TRIGGER users_notify_deletion AFTER UPDATE OF deleted_at ON auth.users FOR EACH ROW WHEN ((old.deleted_at IS DISTINCT FROM new.deleted_at)) EXECUTE FUNCTION auth.notify_user_deletion();

ALTER TABLE ONLY auth.accounts
    ADD CONSTRAINT accounts_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.api_keys
    ADD CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.guild_invitations
    ADD CONSTRAINT guild_invitations_accepted_by_fkey FOREIGN KEY (accepted_by) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE SET NULL;

ALTER TABLE ONLY auth.guild_invitations
    ADD CONSTRAINT guild_invitations_guild_id_fkey FOREIGN KEY (guild_id) REFERENCES auth.guilds(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.guild_invitations
    ADD CONSTRAINT guild_invitations_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE SET NULL;

ALTER TABLE ONLY auth.guild_members
    ADD CONSTRAINT guild_members_guild_id_fkey FOREIGN KEY (guild_id) REFERENCES auth.guilds(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.guild_members
    ADD CONSTRAINT guild_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.guilds
    ADD CONSTRAINT guilds_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE SET NULL;

ALTER TABLE ONLY auth.passwords
    ADD CONSTRAINT passwords_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.security_events
    ADD CONSTRAINT security_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.two_factor_auth
    ADD CONSTRAINT two_factor_auth_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY auth.verification_tokens
    ADD CONSTRAINT verification_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.balances
    ADD CONSTRAINT balances_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.guild_member_limits
    ADD CONSTRAINT guild_member_limits_guild_id_fkey FOREIGN KEY (guild_id) REFERENCES auth.guilds(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.guild_member_limits
    ADD CONSTRAINT guild_member_limits_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_guild_id_fkey FOREIGN KEY (guild_id) REFERENCES auth.guilds(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_personal_transaction_id_fkey FOREIGN KEY (personal_transaction_id) REFERENCES credits.transactions(id) ON UPDATE CASCADE ON DELETE SET NULL;

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_refund_of_fkey FOREIGN KEY (refund_of) REFERENCES credits.guild_pool_transactions(id) ON UPDATE CASCADE;

ALTER TABLE ONLY credits.guild_pool_transactions
    ADD CONSTRAINT guild_pool_transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE SET NULL;

ALTER TABLE ONLY credits.guild_pools
    ADD CONSTRAINT guild_pools_guild_id_fkey FOREIGN KEY (guild_id) REFERENCES auth.guilds(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.purchases
    ADD CONSTRAINT purchases_package_id_fkey FOREIGN KEY (package_id) REFERENCES credits.packages(id) ON UPDATE CASCADE ON DELETE SET NULL;

ALTER TABLE ONLY credits.purchases
    ADD CONSTRAINT purchases_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.stripe_events
    ADD CONSTRAINT stripe_events_purchase_id_fkey FOREIGN KEY (purchase_id) REFERENCES credits.purchases(id) ON UPDATE CASCADE ON DELETE SET NULL;

ALTER TABLE ONLY credits.transactions
    ADD CONSTRAINT transactions_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES auth.api_keys(id) ON UPDATE CASCADE;

ALTER TABLE ONLY credits.transactions
    ADD CONSTRAINT transactions_refund_of_fkey FOREIGN KEY (refund_of) REFERENCES credits.transactions(id) ON UPDATE CASCADE;

ALTER TABLE ONLY credits.transactions
    ADD CONSTRAINT transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY credits.usage_stats
    ADD CONSTRAINT usage_stats_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE;
