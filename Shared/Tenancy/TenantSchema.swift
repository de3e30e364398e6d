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
        Migration(version: 3, name: "dialplan: groups, schedules, forwarding, caller ID", sql: """
            -- A destination is a kind and a reference: user (extension), group (name), schedule (name),
            -- external (E.164), voicemail / announcement / ivr (delivered by later features), none.
            CREATE TABLE {schema}.groups (
                name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
                strategy text NOT NULL DEFAULT 'ring-all'
                    CHECK (strategy IN ('ring-all', 'linear', 'round-robin', 'least-recent', 'longest-idle', 'random')),
                member_seconds integer NOT NULL DEFAULT 20 CHECK (member_seconds BETWEEN 5 AND 300),
                total_seconds integer NOT NULL DEFAULT 60 CHECK (total_seconds BETWEEN 5 AND 3600),
                overflow_kind text NOT NULL DEFAULT 'none',
                overflow_ref text);

            CREATE TABLE {schema}.group_members (
                group_name text NOT NULL REFERENCES {schema}.groups (name) ON DELETE CASCADE,
                position integer NOT NULL,
                member text NOT NULL,  -- an extension or an E.164 number (a mobile, through the trunk)
                ring_seconds integer CHECK (ring_seconds BETWEEN 5 AND 300),
                logged_in boolean NOT NULL DEFAULT true,
                PRIMARY KEY (group_name, member));

            -- What fair strategies remember, written by routing only (atomic updates, so several
            -- routing instances agree).
            CREATE TABLE {schema}.group_state (
                group_name text NOT NULL REFERENCES {schema}.groups (name) ON DELETE CASCADE,
                member text NOT NULL,
                last_offered_at timestamptz,
                last_call_ended_at timestamptz,
                PRIMARY KEY (group_name, member));
            CREATE TABLE {schema}.group_cursor (
                group_name text PRIMARY KEY REFERENCES {schema}.groups (name) ON DELETE CASCADE,
                next_position integer NOT NULL DEFAULT 0);

            CREATE TABLE {schema}.schedules (
                name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
                open_kind text NOT NULL,
                open_ref text,
                closed_kind text NOT NULL,
                closed_ref text);
            -- Weekly open periods in the tenant's time zone (ISO weekday 1 = Monday).
            CREATE TABLE {schema}.schedule_periods (
                schedule_name text NOT NULL REFERENCES {schema}.schedules (name) ON DELETE CASCADE,
                weekday integer NOT NULL CHECK (weekday BETWEEN 1 AND 7),
                opens time NOT NULL,
                closes time NOT NULL CHECK (closes > opens),
                PRIMARY KEY (schedule_name, weekday, opens));
            -- Holidays (closed all day) and special openings (open these hours instead).
            CREATE TABLE {schema}.schedule_exceptions (
                schedule_name text NOT NULL REFERENCES {schema}.schedules (name) ON DELETE CASCADE,
                day date NOT NULL,
                opens time,
                closes time,
                label text,
                PRIMARY KEY (schedule_name, day),
                CHECK ((opens IS NULL) = (closes IS NULL)));

            CREATE TABLE {schema}.forwarding (
                user_id uuid NOT NULL REFERENCES {schema}.users (id) ON DELETE CASCADE,
                condition text NOT NULL CHECK (condition IN ('always', 'busy', 'no-answer', 'unregistered')),
                target_kind text NOT NULL,
                target_ref text,
                no_answer_seconds integer CHECK (no_answer_seconds BETWEEN 5 AND 300),
                PRIMARY KEY (user_id, condition));

            ALTER TABLE {schema}.users
                ADD COLUMN caller_id text NOT NULL DEFAULT 'main' CHECK (caller_id IN ('main', 'own', 'anonymous')),
                ADD COLUMN default_class text NOT NULL DEFAULT 'business' CHECK (default_class IN ('business', 'private'));

            -- Per-tenant limits; NULL means no limit.
            CREATE TABLE {schema}.limits (
                only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                max_concurrent_calls integer CHECK (max_concurrent_calls >= 0),
                max_international_calls integer CHECK (max_international_calls >= 0));
            """),
        Migration(version: 4, name: "console logins of users", sql: """
            -- Tenant admins and users log in to the console and API with their e-mail and a
            -- password (PBKDF2, see PasswordHash); a user without one cannot log in.
            ALTER TABLE {schema}.users ADD COLUMN password_hash text;
            UPDATE {schema}.users SET email = NULL WHERE email = '';
            CREATE UNIQUE INDEX users_email ON {schema}.users (lower(email));
            """),
        Migration(version: 5, name: "subscriptions and call history", sql: """
            -- What the tenant pays for: a plan or add-on of the catalogue, from its first to its last
            -- active day (inclusive; open-ended while ends is NULL). A plan change ends one and starts another.
            CREATE TABLE {schema}.subscriptions (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                code text NOT NULL REFERENCES platform.catalogue (code),
                quantity integer NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 100000),
                number text CHECK (number ~ '^\\+[1-9][0-9]{5,14}$'),
                starts date NOT NULL,
                ends date CHECK (ends >= starts),
                created_at timestamptz NOT NULL DEFAULT now());

            -- Call history from call.cdrs, written by billing; the CDR's call id makes rating idempotent.
            CREATE TABLE {schema}.calls (
                call_id text PRIMARY KEY,
                direction text NOT NULL,
                caller text NOT NULL,
                callee text NOT NULL,
                classification text NOT NULL,
                started_at timestamptz NOT NULL,
                answered_at timestamptz,
                ended_at timestamptz NOT NULL,
                billable_seconds integer NOT NULL,
                cause text NOT NULL,
                international boolean NOT NULL);
            CREATE INDEX calls_by_time ON {schema}.calls (started_at);
            """),
        Migration(version: 6, name: "price a subscription was sold at", sql: """
            -- A later catalogue price change leaves existing subscriptions at their price.
            ALTER TABLE {schema}.subscriptions ADD COLUMN monthly_price numeric(12, 2) CHECK (monthly_price >= 0);
            UPDATE {schema}.subscriptions s SET monthly_price = c.monthly_price FROM platform.catalogue c WHERE c.code = s.code;
            ALTER TABLE {schema}.subscriptions ALTER COLUMN monthly_price SET NOT NULL;
            """),
        Migration(version: 7, name: "media store: objects and prompts", sql: """
            -- The tenant's objects in the media store, by content hash; written only by recording
            -- (DESIGN §7). The bytes are in the object store under the tenant and the hash.
            CREATE TABLE {schema}.media_objects (
                sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
                kind text NOT NULL CHECK (kind IN ('prompt', 'recording', 'voicemail', 'export')),
                size bigint NOT NULL,
                duration_ms integer NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());
            -- Named prompts: uploaded files and text-to-speech, 8 kHz mono WAV objects.
            CREATE TABLE {schema}.prompts (
                name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
                sha256 text NOT NULL REFERENCES {schema}.media_objects,
                language text CHECK (language IN ('et', 'en')),
                source text NOT NULL CHECK (source IN ('upload', 'tts')),
                text text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now());
            """),
        Migration(version: 8, name: "announcements, IVR menus and the step of each call in one", sql: """
            -- Voice messages (häälsõnum): prompts by name (the tenant's, else the system's), played
            -- in order; then the call hangs up (next_kind 'none') or goes on to a destination.
            CREATE TABLE {schema}.announcements (
                name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
                prompts text[] NOT NULL CHECK (cardinality(prompts) BETWEEN 1 AND 20),
                next_kind text NOT NULL DEFAULT 'none',
                next_ref text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now());
            -- IVR menus (the paid add-on): a greeting, a choice per key, and what happens when the
            -- caller presses nothing or a key without a choice: its prompt, a retry, and after the
            -- retries the final choice. With direct dial the caller may also key an extension.
            CREATE TABLE {schema}.menus (
                name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
                greeting text NOT NULL,
                timeout_seconds integer NOT NULL DEFAULT 5 CHECK (timeout_seconds BETWEEN 1 AND 60),
                retries integer NOT NULL DEFAULT 2 CHECK (retries BETWEEN 0 AND 9),
                invalid_prompt text NOT NULL DEFAULT 'invalid-choice',
                timeout_prompt text NOT NULL DEFAULT 'no-input',
                final_kind text NOT NULL DEFAULT 'hangup',
                final_ref text,
                direct_dial boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now());
            -- A choice is a destination kind, or 'repeat' (the menu again) or 'hangup'.
            CREATE TABLE {schema}.menu_options (
                menu text NOT NULL REFERENCES {schema}.menus ON DELETE CASCADE,
                key text NOT NULL CHECK (key ~ '^[0-9*#]$'),
                kind text NOT NULL,
                ref text,
                PRIMARY KEY (menu, key));
            -- An announcement played to the caller before the group rings.
            ALTER TABLE {schema}.groups ADD COLUMN welcome text;
            -- The step each call in an application reached, written by ivr after every step, so
            -- the next ivr instance continues a call from there (DESIGN §6).
            CREATE TABLE {schema}.application_steps (
                call_id text PRIMARY KEY,
                step jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now());
            """),
        Migration(version: 9, name: "voicemail: boxes, greetings, messages, recordings in progress", sql: """
            -- Voicemail (DESIGN §6). A box per user, made with the user (numbered by the extension),
            -- and optional boxes of groups (numbered by the admin). A box made here, for users that
            -- were there before, has no PIN until an admin resets it (`pin_hash` empty); its user
            -- still reaches it from their own device.
            CREATE TABLE {schema}.voicemail_boxes (
                number text PRIMARY KEY CHECK (number ~ '^[0-9]{2,6}$'),
                user_id uuid UNIQUE REFERENCES {schema}.users ON DELETE CASCADE,
                group_name text UNIQUE REFERENCES {schema}.groups ON DELETE CASCADE ON UPDATE CASCADE,
                CHECK ((user_id IS NULL) <> (group_name IS NULL)),
                -- salt:hex(sha256(salt || pin)); six digits are too few for a slow hash to help,
                -- so the lockout is the defence.
                pin_hash text NOT NULL DEFAULT '',
                pin_failures integer NOT NULL DEFAULT 0,
                locked_until timestamptz,
                -- by-reason: the busy greeting when busy, else unavailable; unavailable: always that one.
                greeting_mode text NOT NULL DEFAULT 'by-reason' CHECK (greeting_mode IN ('by-reason', 'unavailable')),
                max_seconds integer NOT NULL DEFAULT 180 CHECK (max_seconds BETWEEN 10 AND 600),
                min_ms integer NOT NULL DEFAULT 1000 CHECK (min_ms BETWEEN 0 AND 10000),
                quota integer NOT NULL DEFAULT 100 CHECK (quota BETWEEN 1 AND 1000),
                email_notify boolean NOT NULL DEFAULT true,
                -- A group box's e-mail address (a user's box mails the user).
                email text,
                created_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO {schema}.voicemail_boxes (number, user_id) SELECT extension, id FROM {schema}.users;
            -- A number may go to a box (voicemail:BOX) or to listening with a PIN (mailbox).
            ALTER TABLE {schema}.numbers DROP CONSTRAINT numbers_destination_kind_check, ADD CONSTRAINT numbers_destination_kind_check
                CHECK (destination_kind IN ('user', 'group', 'schedule', 'external', 'voicemail', 'mailbox', 'announcement', 'ivr', 'none'));
            CREATE TABLE {schema}.voicemail_greetings (
                box text NOT NULL REFERENCES {schema}.voicemail_boxes ON DELETE CASCADE,
                kind text NOT NULL CHECK (kind IN ('unavailable', 'busy', 'temporary', 'name')),
                sha256 text NOT NULL REFERENCES {schema}.media_objects,
                source text NOT NULL CHECK (source IN ('phone', 'upload', 'tts')),
                text text,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (box, kind));
            -- Folders: new, heard (played once), saved. The audio is a media object (8 kHz mono WAV).
            CREATE TABLE {schema}.voicemail_messages (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                box text NOT NULL REFERENCES {schema}.voicemail_boxes ON DELETE CASCADE,
                recording_id text NOT NULL UNIQUE,
                folder text NOT NULL DEFAULT 'new' CHECK (folder IN ('new', 'heard', 'saved')),
                urgent boolean NOT NULL DEFAULT false,
                caller text NOT NULL,
                call_id text NOT NULL,
                reason text NOT NULL,
                duration_ms integer NOT NULL,
                sha256 text NOT NULL REFERENCES {schema}.media_objects,
                received_at timestamptz NOT NULL DEFAULT now(),
                changed_at timestamptz NOT NULL DEFAULT now(),
                -- When the e-mail about it reached the relay: a redelivered event sends no second one.
                emailed_at timestamptz);
            CREATE INDEX voicemail_messages_by_box ON {schema}.voicemail_messages (box, folder, received_at);
            -- What a recording in progress is for, written by ivr before it starts one: recording
            -- turns the audio into a message or a greeting of the box once it is stored.
            CREATE TABLE {schema}.voicemail_recordings (
                recording_id text PRIMARY KEY,
                box text NOT NULL REFERENCES {schema}.voicemail_boxes ON DELETE CASCADE,
                purpose text NOT NULL CHECK (purpose IN ('message', 'unavailable', 'busy', 'temporary', 'name')),
                call_id text NOT NULL,
                caller text NOT NULL,
                reason text NOT NULL DEFAULT 'direct',
                urgent boolean NOT NULL DEFAULT false,
                started_at timestamptz NOT NULL DEFAULT now());
            -- The chunks of recordings not yet stored, kept by recording as they arrive so that it
            -- commits its Kafka offsets at once and a restart loses nothing (DESIGN §7).
            CREATE TABLE {schema}.audio_chunks (
                recording_id text NOT NULL,
                sequence integer NOT NULL,
                call_id text NOT NULL,
                final boolean NOT NULL,
                audio bytea NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (recording_id, sequence));
            """),
        Migration(version: 10, name: "call recording: policies, recordings, the CDR's recording", sql: """
            -- Which calls are recorded (DESIGN §7). A number's policy applies while it has a
            -- recording add-on; a user's, when set, overrides it for that user's calls.
            ALTER TABLE {schema}.numbers
                ADD COLUMN recording text NOT NULL DEFAULT 'both' CHECK (recording IN ('inbound', 'outbound', 'both', 'none')),
                ADD COLUMN recording_notice boolean NOT NULL DEFAULT true;
            ALTER TABLE {schema}.users
                ADD COLUMN recording text CHECK (recording IN ('inbound', 'outbound', 'both', 'none')),
                ADD COLUMN recording_notice boolean,
                -- Whether the user may list and hear their own recordings.
                ADD COLUMN recordings_visible boolean NOT NULL DEFAULT false;
            -- One row per tap of a call, written only by recording: from call.recording-started,
            -- then completed when its audio is stored (an Ogg Opus media object).
            CREATE TABLE {schema}.call_recordings (
                id text PRIMARY KEY,
                call_id text NOT NULL,
                number text NOT NULL,
                direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
                user_extension text,
                caller text NOT NULL,
                callee text NOT NULL,
                notice boolean NOT NULL,
                started_at timestamptz NOT NULL,
                retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 365),
                delete_after timestamptz NOT NULL,
                -- recording: chunks are arriving; complete: stored whole; incomplete: stored with
                -- what arrived (chunks were lost, or the edge stopped sending without a final one).
                status text NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'complete', 'incomplete')),
                sha256 text REFERENCES {schema}.media_objects,
                duration_ms integer,
                size bigint,
                stored_at timestamptz,
                legal_hold boolean NOT NULL DEFAULT false);
            CREATE INDEX call_recordings_by_time ON {schema}.call_recordings (started_at);
            CREATE INDEX call_recordings_by_deadline ON {schema}.call_recordings (delete_after) WHERE NOT legal_hold;
            ALTER TABLE {schema}.calls ADD COLUMN recording_id text, ADD COLUMN recording_failure text;
            """),
    ]
}
