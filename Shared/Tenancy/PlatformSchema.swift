/// The `platform` schema: what spans tenants (DESIGN §5).
package enum PlatformSchema {
    package static let migrations: [Migration] = [
        Migration(version: 1, name: "tenants, numbers, operators, credentials, catalogue", sql: """
            CREATE TABLE {schema}.tenants (
                slug text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9_]{1,39}$'),
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                status text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'suspended', 'terminating', 'terminated', 'deleted')),
                sip_domain text NOT NULL UNIQUE,
                time_zone text NOT NULL DEFAULT 'Europe/Tallinn',
                contract_start date NOT NULL DEFAULT current_date,
                contract_end date,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now());

            -- Every DID belongs to exactly one tenant; the tenant schema says where its calls go.
            CREATE TABLE {schema}.numbers (
                e164 text PRIMARY KEY CHECK (e164 ~ '^\\+[1-9][0-9]{5,14}$'),
                tenant text NOT NULL REFERENCES {schema}.tenants (slug),
                is_main boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT now());
            CREATE UNIQUE INDEX numbers_one_main_per_tenant ON {schema}.numbers (tenant) WHERE is_main;

            CREATE TABLE {schema}.operators (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                email text NOT NULL UNIQUE,
                password_hash text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());

            -- Bearer tokens (hashed), scoped to a tenant unless issued to an operator.
            CREATE TABLE {schema}.api_tokens (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                token_hash text NOT NULL UNIQUE,
                role text NOT NULL CHECK (role IN ('operator', 'admin', 'user')),
                tenant text REFERENCES {schema}.tenants (slug),
                subject text NOT NULL,
                expires_at timestamptz NOT NULL,
                revoked_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now());

            -- Plans and add-ons as data; prices are monthly, VAT excluded.
            CREATE TABLE {schema}.catalogue (
                code text PRIMARY KEY,
                kind text NOT NULL CHECK (kind IN ('plan', 'addon')),
                name text NOT NULL,
                unit text NOT NULL CHECK (unit IN ('user', 'tenant', 'number', 'bundle')),
                monthly_price numeric(12, 2) NOT NULL CHECK (monthly_price >= 0),
                included_minutes integer,
                features text[] NOT NULL DEFAULT '{}');
            INSERT INTO {schema}.catalogue (code, kind, name, unit, monthly_price, included_minutes, features) VALUES
                ('call-sharing', 'plan', 'Business call sharing', 'user', 2.00, NULL, '{calls}'),
                ('mobile-unlimited', 'plan', 'Unlimited business mobile', 'user', 7.00, NULL, '{calls}'),
                ('mobile-unlimited-plus', 'plan', 'Unlimited business mobile +', 'user', 12.00, NULL, '{calls}'),
                ('ivr', 'addon', 'IVR', 'tenant', 12.00, NULL, '{ivr}'),
                ('recording-10d', 'addon', 'Call recording, 10-day retention', 'number', 6.39, NULL, '{recording}'),
                ('recording-60d', 'addon', 'Call recording, 60-day retention', 'number', 12.78, NULL, '{recording}'),
                ('intl-50', 'addon', 'International minutes 50', 'bundle', 0, 50, '{international}'),
                ('intl-200', 'addon', 'International minutes 200', 'bundle', 0, 200, '{international}'),
                ('intl-300', 'addon', 'International minutes 300', 'bundle', 0, 300, '{international}'),
                ('intl-400', 'addon', 'International minutes 400', 'bundle', 0, 400, '{international}');
            """),
        Migration(version: 2, name: "live calls of each edge", sql: """
            -- Written by sip-edge while a call lives, so calls of an edge that crashed are ended
            -- (events and a CDR) when it comes back instead of staying open forever.
            -- An edge is its deployment (topic prefix) and ordinal.
            CREATE TABLE {schema}.edge_calls (
                call_id text PRIMARY KEY,
                deployment text NOT NULL DEFAULT '',
                edge integer NOT NULL,
                tenant text NOT NULL,
                caller text NOT NULL,
                callee text NOT NULL,
                direction text NOT NULL,
                classification text NOT NULL DEFAULT 'business',
                started_at timestamptz NOT NULL,
                answered_at timestamptz);
            CREATE INDEX edge_calls_by_edge ON {schema}.edge_calls (deployment, edge);
            """),
        Migration(version: 3, name: "billing: rates, bundle prices, invoices", sql: """
            -- Per-minute prices of international calls by destination prefix (longest prefix wins).
            CREATE TABLE {schema}.rates (
                prefix text PRIMARY KEY CHECK (prefix ~ '^\\+[0-9]{1,8}$'),
                name text NOT NULL,
                per_minute numeric(10, 4) NOT NULL CHECK (per_minute >= 0));
            INSERT INTO {schema}.rates (prefix, name, per_minute) VALUES
                ('+1', 'United States and Canada', 0.0523), ('+44', 'United Kingdom', 0.0890), ('+49', 'Germany', 0.0750),
                ('+358', 'Finland', 0.0690), ('+371', 'Latvia', 0.0590), ('+370', 'Lithuania', 0.0590), ('+46', 'Sweden', 0.0690),
                ('+7', 'Russia and Kazakhstan', 0.2900), ('+33', 'France', 0.0790), ('+34', 'Spain', 0.0790);
            UPDATE {schema}.catalogue SET monthly_price = CASE code
                WHEN 'intl-50' THEN 2.90 WHEN 'intl-200' THEN 9.90 WHEN 'intl-300' THEN 13.90 WHEN 'intl-400' THEN 17.90 END
                WHERE code LIKE 'intl-%';

            -- Invoice numbers come from one counter, taken in the issuing transaction: a failed
            -- issue rolls the counter back with it, so numbers have no gaps.
            CREATE TABLE {schema}.invoice_counter (
                only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                next_number bigint NOT NULL DEFAULT 1);
            INSERT INTO {schema}.invoice_counter DEFAULT VALUES;
            -- Issued invoices live here, not in the tenant schema: they outlive a tenant's deletion.
            CREATE TABLE {schema}.invoices (
                number text PRIMARY KEY,
                tenant text NOT NULL REFERENCES {schema}.tenants (slug),
                period text NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
                issued_at timestamptz NOT NULL DEFAULT now(),
                subtotal numeric(12, 2) NOT NULL,
                vat numeric(12, 2) NOT NULL,
                total numeric(12, 2) NOT NULL,
                document jsonb NOT NULL,
                UNIQUE (tenant, period));
            CREATE FUNCTION {schema}.refuse_invoice_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'an issued invoice never changes' USING ERRCODE = 'integrity_constraint_violation'; END $$;
            CREATE TRIGGER invoices_are_final BEFORE UPDATE OR DELETE ON {schema}.invoices
                FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_invoice_change();
            """),
        Migration(version: 4, name: "contract end", sql: """
            -- Termination: service until notice_ends, then the data can be exported until export_ends,
            -- then the tenant schema is dropped (TenantLifecycle).
            ALTER TABLE {schema}.tenants ADD COLUMN notice_ends date, ADD COLUMN export_ends date;
            """),
        Migration(version: 5, name: "outbox", sql: """
            -- Events that must follow a database change (CDRs, configuration changes), written in the
            -- change's transaction and relayed to Kafka by OutboxRelay, which deletes a row once the
            -- broker acknowledged it: a broker outage delays them and loses nothing (DESIGN §4).
            CREATE TABLE {schema}.outbox (
                id bigserial PRIMARY KEY,
                deployment text NOT NULL,
                topic text NOT NULL,
                partition integer,
                key text,
                value bytea NOT NULL,
                type text NOT NULL,
                tenant text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());
            CREATE INDEX outbox_by_deployment ON {schema}.outbox (deployment, id);
            """),
        Migration(version: 6, name: "media store: system prompts, tenant language", sql: """
            -- Objects of the media store that belong to no tenant (the system prompts), by content
            -- hash; written only by recording (DESIGN §7).
            CREATE TABLE {schema}.system_media (
                sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
                size bigint NOT NULL,
                duration_ms integer NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());
            -- The phrases every tenant has (beep, invalid choice, goodbye, the recording notice,
            -- the voicemail phrases) in each language; a tenant's own prompt of the same name wins.
            CREATE TABLE {schema}.system_prompts (
                name text NOT NULL,
                language text NOT NULL CHECK (language IN ('et', 'en')),
                sha256 text NOT NULL REFERENCES {schema}.system_media,
                text text NOT NULL,
                PRIMARY KEY (name, language));
            ALTER TABLE {schema}.tenants ADD COLUMN language text NOT NULL DEFAULT 'et' CHECK (language IN ('et', 'en'));
            """),
        Migration(version: 7, name: "media store: data keys", sql: """
            -- Each owner's key for its media objects (a tenant's slug, or _system), wrapped by the
            -- master key; deleting a tenant deletes its row, after which its objects cannot be read.
            CREATE TABLE {schema}.data_keys (
                owner text PRIMARY KEY,
                wrapped bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());
            """),
        Migration(version: 8, name: "longer recording retention tiers", sql: """
            -- Retention tiers beyond the seed's 10 and 60 days, as catalogue data (DESIGN §7); the
            -- storage keeps nothing beyond 12 months, so 365 days is the longest a tier may say.
            INSERT INTO {schema}.catalogue (code, kind, name, unit, monthly_price, included_minutes, features) VALUES
                ('recording-180d', 'addon', 'Call recording, 180-day retention', 'number', 19.17, NULL, '{recording}'),
                ('recording-365d', 'addon', 'Call recording, 12-month retention', 'number', 25.56, NULL, '{recording}')
            ON CONFLICT (code) DO NOTHING;
            """),
        Migration(version: 9, name: "media exports", sql: """
            -- Archives of a tenant's recordings and voicemail (DESIGN §7), asked for through the API
            -- or made at contract end, built in the background by recording (a replica claims a job
            -- with SKIP LOCKED), stored as the tenant's `export` object and downloadable until
            -- expires_at. Here, not in the tenant schema, so that recording finds pending jobs with
            -- one query whatever the number of tenants. A job is its deployment's (topic prefix),
            -- as the outbox's rows are: only that deployment's recording builds it into its store.
            CREATE TABLE {schema}.media_exports (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                deployment text NOT NULL DEFAULT '',
                tenant text NOT NULL REFERENCES {schema}.tenants (slug),
                reason text NOT NULL CHECK (reason IN ('request', 'contract-end')),
                requested_by text NOT NULL,
                filter jsonb NOT NULL DEFAULT '{}',
                voicemail boolean NOT NULL DEFAULT true,
                status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'building', 'ready', 'failed', 'expired')),
                claimed_at timestamptz,
                sha256 text,
                size bigint,
                items integer,
                error text,
                created_at timestamptz NOT NULL DEFAULT now(),
                ready_at timestamptz,
                expires_at timestamptz);
            CREATE INDEX media_exports_pending ON {schema}.media_exports (deployment, created_at) WHERE status IN ('pending', 'building');
            -- One contract-end export per tenant, however often its termination is seen.
            CREATE UNIQUE INDEX media_exports_contract_end ON {schema}.media_exports (tenant) WHERE reason = 'contract-end';
            """),
        Migration(version: 10, name: "a live call's recording", sql: """
            -- The recording a live call is making: the CDR that a restarted edge writes for a call
            -- it lost names it, as the CDR of a call that ended does.
            ALTER TABLE {schema}.edge_calls ADD COLUMN recording_id text;
            """),
    ]
}
