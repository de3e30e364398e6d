/// The tables every tenant schema `tenant_<slug>` has (DESIGN §5). Later features add steps.
package enum TenantSchema {
    package static let migrations: [Migration] = [
        Migration(version: 1, name: "users, devices, registrations, numbers, audit log", sql: """
            CREATE TABLE {schema}.users (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                extension text NOT NULL UNIQUE CHECK (extension ~ '^[0-9]{2,6}$'),
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                email text,
                mobile text CHECK (mobile ~ '^\\+[1-9][0-9]{5,14}$'),
                role text NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now());

            -- SIP credentials: only HA1 hashes are kept (RFC 2617 MD5 and RFC 8760 SHA-256).
            CREATE TABLE {schema}.devices (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                user_id uuid NOT NULL REFERENCES {schema}.users (id) ON DELETE CASCADE,
                username text NOT NULL UNIQUE,
                realm text NOT NULL,
                ha1_md5 text NOT NULL,
                ha1_sha256 text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());

            -- Registration bindings, written by sip-edge only.
            CREATE TABLE {schema}.registrations (
                aor text NOT NULL,
                contact text NOT NULL,
                device_id uuid REFERENCES {schema}.devices (id) ON DELETE CASCADE,
                expires_at timestamptz NOT NULL,
                user_agent text,
                source text NOT NULL,
                edge integer NOT NULL,
                call_id text,
                cseq integer,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (aor, contact));

            -- Where calls to the tenant's DIDs go; the DID → tenant mapping is platform.numbers.
            CREATE TABLE {schema}.numbers (
                e164 text PRIMARY KEY CHECK (e164 ~ '^\\+[1-9][0-9]{5,14}$'),
                user_id uuid REFERENCES {schema}.users (id) ON DELETE SET NULL,
                destination_kind text NOT NULL DEFAULT 'user'
                    CHECK (destination_kind IN ('user', 'group', 'schedule', 'voicemail', 'announcement', 'ivr', 'none')),
                destination_ref text,
                created_at timestamptz NOT NULL DEFAULT now());

            CREATE TABLE {schema}.audit_log (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT now(),
                actor text NOT NULL,
                action text NOT NULL,
                subject text NOT NULL,
                detail jsonb NOT NULL DEFAULT '{}');
            """),
        Migration(version: 2, name: "transport of registration bindings", sql: """
            -- How to reach the device: UDP to its source, or back over the TCP connection it opened.
            ALTER TABLE {schema}.registrations ADD COLUMN transport text NOT NULL DEFAULT 'UDP';
            """),
    ]
}
