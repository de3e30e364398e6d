/// The OpenAPI 3.1 document of the REST API: the single source of its contract. The `api` service
/// serves it at `GET /openapi.yaml`, `switchboard docs` writes it to docs/openapi.yaml, and the
/// contract tests (Tests/IntegrationTests/APIContractTests.swift) hold the routes to it.
package enum OpenAPIDocument {
    package static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Switchboard API
          version: "1"
          summary: The control plane of a multi-tenant cloud PBX.
          description: |
            The REST API of Switchboard's `api` service: tenants and their contract end, users and
            their SIP devices, numbers, call sharing groups, working-hours schedules, forwarding,
            outbound identity, prompts, announcements and IVR menus, voicemail, call recording,
            exports of the tenant's media, subscriptions and invoices, and the tenant's audit log.

            **Authentication.** `POST /v1/auth/token` exchanges an e-mail and password for a bearer
            token; every other `/v1` operation needs `Authorization: Bearer <token>`. A token is
            stored only as a digest, expires (SWITCHBOARD_API_TOKEN_MINUTES, default 12 hours) and is
            revoked by `DELETE /v1/auth/token`, by a password or role change, by deleting the user,
            and when the tenant is deleted at the end of its contract.

            **Roles.** An *operator* runs the platform and may do everything in every tenant. A
            tenant *admin* manages one tenant. A *user* (an employee) reads and changes their own
            settings. The access rules are the same everywhere:
            - another tenant's things do not exist for an admin or user: **404**;
            - a user reaching what only their tenant's admins may do: **403**;
            - anyone but an operator reaching an operator-only operation: **403** (for an
              operation on one tenant's things, only that tenant's own admins and users get 403;
              the others get 404);
            - a user reaches their own voicemail box and the boxes of their groups; any other box
              does not exist for them: **404**;
            - a user sees the recordings of their own calls when their recording policy lets them
              (`visible`); any other recording does not exist for them: **404**.

            **Errors** all have one shape, `{"error": {"code": "...", "message": "..."}}` (schema
            `Error`). `code` is stable and is one of `invalid_request` (400), `unauthenticated` (401,
            with `WWW-Authenticate: Bearer`), `forbidden` (403), `not_found` (404, also for unknown
            paths under `/v1`), `method_not_allowed` (405), `conflict` (409), `too_large` (413),
            `too_many_attempts` (429, failed logins), `internal` (500, details only in the
            operator's logs) and `unavailable` (503: the media store, which keeps prompts,
            voicemail audio and call recordings, did not answer; try again); `message` says in words what is wrong, naming the field of a bad body.

            **Bodies** are JSON objects of at most 64 KiB (a prompt upload is an audio file of at most 20 MB). Fields the API does not know are ignored;
            an optional field that is `null` is the same as one that is absent.

            **Lists** are pages `{"items": [...], "next": "<cursor>"}` ordered by their key (call
            recordings newest first); `next` is
            absent on the last page. `?limit=` takes 1–200 (default 50), `?after=` the `next` of the
            previous page. A tenant's subscriptions and invoices are few: they come in one page;
            its media exports too (the newest 100).

            **Money** travels as decimal strings, never as JSON numbers: amounts in euros with two
            decimals (`"12.78"`), per-minute rates and exact charges with four (`"0.0523"`), VAT
            percentages without trailing zeros (`"24"`, `"22.5"`). Prices exclude VAT.

            **Path parameters** are percent-decoded: a number is `/numbers/%2B3726001000` or
            `/numbers/+3726001000`.

            Dates are ISO 8601 (`2025-01-31T12:00:00Z`); times of day are `HH:MM` in the tenant's
            time zone.
        servers:
          - url: /
            description: The `api` service this document was fetched from.
        security:
          - bearer: []
        tags:
          - name: auth
            description: Logging in and out, and who the caller is.
          - name: tenants
            description: Tenants (operators provision them), their limits, contract end and data export.
          - name: users
            description: Users, their SIP device, forwarding and outbound identity.
          - name: numbers
            description: The tenant's numbers (DIDs) and where their calls go.
          - name: groups
            description: Call sharing groups (hunt groups) and their members.
          - name: schedules
            description: Working hours, with weekly periods and exception days.
          - name: prompts
            description: |
              Recorded phrases that announcements and menus play: uploaded files (WAV, MP3, OGG,
              converted to 8 kHz mono) and text-to-speech (Estonian, English), and the system prompts.
          - name: announcements
            description: Voice messages, played as a destination, as a group's welcome or for closed hours.
          - name: menus
            description: IVR menus (routing a number to one needs the IVR add-on).
          - name: voicemail
            description: |
              Voicemail boxes (every user's, and groups' own), their PINs, messages by folder, short-lived
              links to a message's audio, and greetings (uploaded files and text-to-speech).
          - name: recordings
            description: |
              Call recording: the recording policies of numbers and users, the recordings with search,
              short-lived links to their audio, legal holds and deletion, exports of the tenant's media
              (a ZIP archive of the recordings and voicemail messages, built in the background, through
              a short-lived link), and the tenant's audit log.
          - name: billing
            description: The catalogue, subscriptions, entitlements and invoices.
          - name: meta
            description: This document.
        paths:
          /openapi.yaml:
            get:
              tags: [meta]
              operationId: getOpenAPIDocument
              summary: This OpenAPI document.
              description: Anyone, without a token.
              security: []
              responses:
                "200":
                  description: The document.
                  content:
                    application/yaml:
                      schema:
                        type: string

          /v1/auth/token:
            post:
              tags: [auth]
              operationId: login
              summary: Log in; get a bearer token.
              description: |
                Anyone, without a token. Operators log in with their e-mail and password; tenant
                admins and users also name their tenant (and need an e-mail and console password,
                set when they were created or changed). A wrong e-mail, password or tenant is a 401
                that does not tell which one was wrong. Failed logins are throttled per e-mail (429).
                The people of a suspended or terminating tenant can log in, and those of a terminated
                one too, to export its data, until it is deleted.
              security: []
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/Login"
              responses:
                "201":
                  description: A new token.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/IssuedToken"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "429":
                  description: |
                    After 10 failed logins for one e-mail within five minutes, its logins are refused
                    (`too_many_attempts`) until the five minutes have passed.
                  headers:
                    Retry-After:
                      description: Seconds until logins of this e-mail are taken again.
                      schema:
                        type: integer
                        minimum: 1
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TooManyAttemptsError"
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [auth]
              operationId: logout
              summary: Log out; revoke the token of this request.
              description: Anyone with a valid token.
              responses:
                "204":
                  description: The token is revoked.
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/me:
            get:
              tags: [auth]
              operationId: getMe
              summary: Who the caller is.
              description: Anyone with a valid token.
              responses:
                "200":
                  description: The caller's role, tenant and subject.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Me"
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants:
            get:
              tags: [tenants]
              operationId: listTenants
              summary: List tenants by slug.
              description: Operators only. Deleted tenants are not listed.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of tenants.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TenantPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [tenants]
              operationId: createTenant
              summary: Create a tenant.
              description: |
                Operators only. Creates the tenant, active, with its own schema, and announces
                `tenant.created`. The slug and the SIP domain must both be new.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewTenant"
              responses:
                "201":
                  description: The new tenant.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Tenant"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [tenants]
              operationId: getTenant
              summary: A tenant.
              description: Operators, and the tenant's own admins and users.
              responses:
                "200":
                  description: The tenant.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Tenant"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/suspend:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            post:
              tags: [tenants]
              operationId: suspendTenant
              summary: Suspend a tenant.
              description: |
                Operators only (the tenant's own admins and users get 403, others 404). Calls and
                registrations are refused, data is kept, the tenant's people can still log in.
                Suspending a suspended tenant changes nothing; a tenant that is terminating or
                terminated cannot be suspended (409). No body.
              responses:
                "200":
                  description: The tenant, suspended.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Tenant"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/resume:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            post:
              tags: [tenants]
              operationId: resumeTenant
              summary: Make a suspended tenant active again.
              description: |
                Operators only (the tenant's own admins and users get 403, others 404). Resuming an
                active tenant changes nothing; a tenant that is
                terminating or terminated cannot be resumed (409). No body.
              responses:
                "200":
                  description: The tenant, active.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Tenant"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/terminate:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            post:
              tags: [tenants]
              operationId: terminateTenant
              summary: End the tenant's contract (give notice).
              description: |
                Operators and the tenant's admins. Service goes on for `noticeDays` (its subscriptions
                end on that last day), then the data can be exported for SWITCHBOARD_EXPORT_DAYS,
                then the tenant is deleted. Only an active or suspended tenant can be terminated (409).
                An admin gives at least the contract's notice (SWITCHBOARD_NOTICE_DAYS); only an
                operator can shorten it (403).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/Termination"
              responses:
                "200":
                  description: The tenant, terminating, with the last day of service and of the export window.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Tenant"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/export:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [tenants]
              operationId: exportTenant
              summary: Everything of the tenant a customer takes away, as one JSON document.
              description: |
                Operators and the tenant's admins, until the tenant is deleted. Configuration, call
                history, subscriptions, the audit log and issued invoices; never credentials (no
                device hashes, no password hashes). The media (call recordings and voicemail) are
                exported by `POST …/exports`.
              responses:
                "200":
                  description: "The export, as a download (`Content-Disposition: attachment`)."
                  headers:
                    Content-Disposition:
                      required: true
                      schema:
                        type: string
                        pattern: ^attachment
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TenantExport"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/limits:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [tenants]
              operationId: getLimits
              summary: The tenant's caps on concurrent and international calls.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The caps; an absent one is no cap.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TenantLimits"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [tenants]
              operationId: setLimits
              summary: Set the tenant's caps (the toll-fraud guard).
              description: |
                Operators only: a tenant cannot raise its own caps (its admins and users get 403,
                others 404). Replaces both caps; an absent or null one is no cap.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/LimitsChange"
              responses:
                "200":
                  description: The caps now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TenantLimits"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            patch:
              tags: [tenants]
              operationId: patchLimits
              summary: Change one of the tenant's caps and keep the other.
              description: |
                Operators only, as `PUT`. A merge patch (RFC 7396): a cap left out stays as it is,
                a null one is removed (no cap), a number sets it.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/LimitsChange"
              responses:
                "200":
                  description: The caps now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TenantLimits"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/settings:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [tenants]
              operationId: getTenantSettings
              summary: The tenant's settings (the language of its system prompts).
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The settings.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TenantSettings"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [tenants]
              operationId: setTenantSettings
              summary: Set the language the tenant's callers hear the system prompts in.
              description: |
                Operators and the tenant's admins. System prompts (`invalid-choice`, `no-input`,
                `goodbye`, the voicemail phrases, …) play in this language unless the tenant has a
                prompt of its own of the same name.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/TenantSettings"
              responses:
                "200":
                  description: The settings now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TenantSettings"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [users]
              operationId: listUsers
              summary: List the tenant's users by extension.
              description: Operators and the tenant's admins.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of users.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/UserPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [users]
              operationId: createUser
              summary: Create a user and their SIP device.
              description: |
                Operators and the tenant's admins. The device's SIP username is the extension and
                its domain the tenant's SIP domain; its password is generated unless given, and is
                shown in this answer only (the server keeps digest hashes). With an e-mail and a
                console `password` the user can log in to the API. Extensions and e-mails are
                unique within the tenant (409). The user gets a voicemail box numbered by the
                extension, with a random PIN, also shown in this answer only.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewUser"
              responses:
                "201":
                  description: The new user and their device's SIP credentials.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/CreatedUser"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users/{extension}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Extension"
            get:
              tags: [users]
              operationId: getUser
              summary: A user.
              description: Operators, the tenant's admins, and the user themself.
              responses:
                "200":
                  description: The user.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/User"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            patch:
              tags: [users]
              operationId: updateUser
              summary: Change a user's name, e-mail, mobile, role or console password.
              description: |
                Operators, the tenant's admins, and the user themself; only operators and admins may
                change a role or an e-mail (403 for a user). Absent or null fields stay as they are;
                `""` clears an e-mail or a mobile. A new password or role revokes the user's tokens.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/UserUpdate"
              responses:
                "200":
                  description: The user, changed.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/User"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [users]
              operationId: deleteUser
              summary: Delete a user with their device, registrations, forwarding and group memberships.
              description: |
                Operators and the tenant's admins. Numbers routed to the user go nowhere until routed
                again; the user's tokens are revoked.
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users/{extension}/device:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Extension"
            get:
              tags: [users]
              operationId: getDevice
              summary: The user's SIP device and where it is registered now.
              description: Operators, the tenant's admins, and the user themself.
              responses:
                "200":
                  description: The device (never its password).
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Device"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users/{extension}/device/password:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Extension"
            post:
              tags: [users]
              operationId: resetSIPPassword
              summary: Set a new SIP password for the user's device.
              description: |
                Operators, the tenant's admins, and the user themself. The password is generated
                unless given and is shown in this answer only. Registered phones keep working until
                their next REGISTER.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewSIPPassword"
              responses:
                "200":
                  description: The device's new SIP credentials.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/SIPCredentials"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users/{extension}/forwarding:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Extension"
            get:
              tags: [users]
              operationId: getForwarding
              summary: The user's forwarding rules.
              description: Operators, the tenant's admins, and the user themself.
              responses:
                "200":
                  description: The rules, by condition; empty when calls are not forwarded.
                  content:
                    application/json:
                      schema:
                        type: array
                        items:
                          $ref: "#/components/schemas/ForwardingRule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users/{extension}/forwarding/{when}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Extension"
              - name: when
                in: path
                required: true
                description: The condition; any other is a 404.
                schema:
                  $ref: "#/components/schemas/ForwardingCondition"
            put:
              tags: [users]
              operationId: setForwarding
              summary: Set or remove the forwarding rule of one condition.
              description: Operators, the tenant's admins, and the user themself.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/ForwardingChange"
              responses:
                "200":
                  description: All the user's rules now.
                  content:
                    application/json:
                      schema:
                        type: array
                        items:
                          $ref: "#/components/schemas/ForwardingRule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users/{extension}/outbound-identity:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Extension"
            get:
              tags: [users]
              operationId: getOutboundIdentity
              summary: The number the user's outbound calls present, and their default class.
              description: Operators, the tenant's admins, and the user themself.
              responses:
                "200":
                  description: The setting.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/OutboundIdentity"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [users]
              operationId: setOutboundIdentity
              summary: Change the presented number or the default class of the user's outbound calls.
              description: |
                Operators, the tenant's admins, and the user themself. Absent or null fields stay as
                they are.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/OutboundIdentityChange"
              responses:
                "200":
                  description: The setting now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/OutboundIdentity"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/users/{extension}/recording:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Extension"
            get:
              tags: [recordings]
              operationId: getUserRecordingPolicy
              summary: The user's own recording policy, and whether they may see their recordings.
              description: |
                Operators, the tenant's admins, and the user themself (another user: 403). An absent
                `policy` or `notice` follows the policy of the number a call is recorded for.
              responses:
                "200":
                  description: The user's policy.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/UserRecordingPolicy"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [recordings]
              operationId: setUserRecordingPolicy
              summary: Set the user's recording policy and whether they may see their recordings.
              description: |
                Operators and the tenant's admins (a user, even for themself: 403). The body is the
                whole policy: an absent or null `policy` or `notice` follows the number's, an absent
                or null `visible` is `false`. It applies to calls that start after it and is written
                to the tenant's audit log (`user-recording.updated`).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/UserRecordingPolicyChange"
              responses:
                "200":
                  description: The user's policy now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/UserRecordingPolicy"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/numbers:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [numbers]
              operationId: listNumbers
              summary: List the tenant's numbers.
              description: Operators and the tenant's admins.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of numbers.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/NumberPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [numbers]
              operationId: assignNumber
              summary: Assign a number (DID) to the tenant.
              description: |
                Operators only: numbers come from the operator's ranges (the tenant's admins and users
                get 403, others 404). The tenant's first number
                becomes its main number. A number belongs to one tenant (409). Nothing is assigned
                when the destination is wrong.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewNumber"
              responses:
                "201":
                  description: The number and where its calls go.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/NumberAssignment"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/numbers/{number}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Number"
            get:
              tags: [numbers]
              operationId: getNumber
              summary: One of the tenant's numbers.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The number and where its calls go.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/NumberAssignment"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [numbers]
              operationId: routeNumber
              summary: Say where calls to the number go.
              description: |
                Operators and the tenant's admins. A number routes inside the tenant: not to an
                external number; a `user:` destination must be a user of the tenant (404); `ivr`
                needs a subscription that gives the IVR add-on (400).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NumberRoute"
              responses:
                "200":
                  description: The number and where its calls go now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/NumberAssignment"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/numbers/{number}/recording:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Number"
            get:
              tags: [recordings]
              operationId: getNumberRecordingPolicy
              summary: Which calls of the number are recorded, with or without the notice, and for how long.
              description: |
                Operators and the tenant's admins (a user: 403). The policy applies while the number
                has a recording add-on (`retentionDays`); without one its calls are not recorded. A
                user's own policy, where set, overrides it for that user's calls.
              responses:
                "200":
                  description: The number's policy.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/NumberRecordingPolicy"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [recordings]
              operationId: setNumberRecordingPolicy
              summary: Set which calls of the number are recorded and whether the parties hear the notice.
              description: |
                Operators and the tenant's admins (a user: 403). An absent or null `notice` is `true`.
                It applies to calls that start after it and is written to the tenant's audit log
                (`number-recording.updated`).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NumberRecordingPolicyChange"
              responses:
                "200":
                  description: The number's policy now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/NumberRecordingPolicy"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/groups:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [groups]
              operationId: listGroups
              summary: List the tenant's groups by name, with their members.
              description: Operators and the tenant's admins.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of groups.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/GroupPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [groups]
              operationId: createGroup
              summary: Create a call sharing group.
              description: Operators and the tenant's admins. The name must be new (409).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewGroup"
              responses:
                "201":
                  description: The new group.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Group"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/groups/{group}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Group"
            get:
              tags: [groups]
              operationId: getGroup
              summary: A group with its members in order.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The group.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Group"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [groups]
              operationId: updateGroup
              summary: Change a group's strategy, ring times or overflow.
              description: |
                Operators and the tenant's admins. The body's `name` must be the group's (a group is
                not renamed); absent or null fields stay as they are. Members are kept.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewGroup"
              responses:
                "200":
                  description: The group, changed.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Group"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [groups]
              operationId: deleteGroup
              summary: Delete a group.
              description: |
                Operators and the tenant's admins. Numbers and rules that pointed to it go nowhere
                until changed.
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/groups/{group}/members:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Group"
            post:
              tags: [groups]
              operationId: addGroupMember
              summary: Add a member to a group (or change an existing member's ring time).
              description: |
                Operators and the tenant's admins. A member is a user of the tenant (by extension; an
                unknown one is a 404) or an E.164 number (a mobile, reached through the trunk). A new
                member comes last and is logged in.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewMember"
              responses:
                "201":
                  description: The group with its members.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Group"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/groups/{group}/members/{member}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Group"
              - $ref: "#/components/parameters/Member"
            delete:
              tags: [groups]
              operationId: removeGroupMember
              summary: Remove a member from a group.
              description: Operators and the tenant's admins.
              responses:
                "204":
                  description: Removed.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/groups/{group}/members/{member}/login:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Group"
              - $ref: "#/components/parameters/Member"
            put:
              tags: [groups]
              operationId: setMemberLogin
              summary: Log a member in to or out of a group (logged-out members are not rung).
              description: |
                Operators, the tenant's admins, and the user whose extension the member is (a user
                logs themself in and out).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/MemberLogin"
              responses:
                "200":
                  description: The group with its members.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Group"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/groups/{group}/welcome:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Group"
            get:
              tags: [groups]
              operationId: getGroupWelcome
              summary: The announcement a caller hears before the group rings.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The welcome; `announcement` is absent when the group has none.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Welcome"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [groups]
              operationId: setGroupWelcome
              summary: Play an announcement to callers before the group rings.
              description: |
                Operators and the tenant's admins. The announcement must exist (404). Its `next`
                is not followed: after it the group rings.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewWelcome"
              responses:
                "200":
                  description: The welcome now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Welcome"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [groups]
              operationId: removeGroupWelcome
              summary: Ring the group without a welcome.
              description: Operators and the tenant's admins. Removing no welcome changes nothing.
              responses:
                "204":
                  description: The group has no welcome.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/schedules:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [schedules]
              operationId: listSchedules
              summary: List the tenant's schedules by name, with their periods and exceptions.
              description: Operators and the tenant's admins.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of schedules.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/SchedulePage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [schedules]
              operationId: createSchedule
              summary: Create a schedule.
              description: |
                Operators and the tenant's admins. The name must be new (409). A new schedule has no
                periods: it is closed until periods are added.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewSchedule"
              responses:
                "201":
                  description: The new schedule.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Schedule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/schedules/{schedule}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Schedule"
            get:
              tags: [schedules]
              operationId: getSchedule
              summary: A schedule with its periods and exceptions.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The schedule.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Schedule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [schedules]
              operationId: deleteSchedule
              summary: Delete a schedule with its periods and exceptions.
              description: |
                Operators and the tenant's admins. Numbers and rules that pointed to it go nowhere
                until changed.
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/schedules/{schedule}/periods/{weekday}/{opens}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Schedule"
              - name: weekday
                in: path
                required: true
                description: The period's day, 1 (Monday) to 7 (Sunday).
                schema:
                  type: integer
                  minimum: 1
                  maximum: 7
              - name: opens
                in: path
                required: true
                description: When the period opens, HH:MM.
                schema:
                  type: string
                  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$'
                  examples: ["09:00"]
            delete:
              tags: [schedules]
              operationId: removeSchedulePeriod
              summary: Remove the weekly open period that starts then on that day.
              description: Operators and the tenant's admins. A period that is not there is a 404.
              responses:
                "200":
                  description: The schedule without it.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Schedule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/schedules/{schedule}/exceptions/{day}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Schedule"
              - name: day
                in: path
                required: true
                description: The exception's date, YYYY-MM-DD.
                schema:
                  type: string
                  format: date
                  examples: ["2026-12-24"]
            delete:
              tags: [schedules]
              operationId: removeScheduleException
              summary: Remove a date's holiday or special opening; the weekly hours apply again.
              description: Operators and the tenant's admins. A date without one is a 404.
              responses:
                "200":
                  description: The schedule without it.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Schedule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/schedules/{schedule}/periods:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Schedule"
            post:
              tags: [schedules]
              operationId: addSchedulePeriod
              summary: Add a weekly open period on some days.
              description: |
                Operators and the tenant's admins. A period of the same day and opening time is
                replaced.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewPeriod"
              responses:
                "201":
                  description: The schedule with its periods.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Schedule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/schedules/{schedule}/exceptions:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Schedule"
            post:
              tags: [schedules]
              operationId: addScheduleException
              summary: Add a holiday (closed all day) or a special opening (these hours instead).
              description: |
                Operators and the tenant's admins. Give both `opens` and `closes`, or neither (closed
                all day). An exception of the same day is replaced.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewException"
              responses:
                "201":
                  description: The schedule with its exceptions.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Schedule"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/prompts:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [prompts]
              operationId: listPrompts
              summary: List the tenant's prompts by name, and the system prompts it has not replaced.
              description: |
                Operators and the tenant's admins. System prompts (`source: system`) are in the
                tenant's language (its settings); a prompt of the tenant's own with the same name
                replaces one.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of prompts.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/PromptPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/prompts/{prompt}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Prompt"
            put:
              tags: [prompts]
              operationId: uploadPrompt
              summary: Upload an audio file as the prompt (replacing one of that name).
              description: |
                Operators and the tenant's admins. The body is the file itself, a WAV, MP3 or OGG
                file of at most 20 MB, sent with its Content-Type; its format is known by its bytes.
                It is converted to 8 kHz mono (at most ten minutes are kept). A body that is no audio
                of these formats is a 400 and stores nothing.
              parameters:
                - name: language
                  in: query
                  required: false
                  description: The language spoken in it, if any.
                  schema:
                    $ref: "#/components/schemas/Language"
              requestBody:
                required: true
                content:
                  audio/wav:
                    schema: { type: string, format: binary }
                  audio/x-wav:
                    schema: { type: string, format: binary }
                  audio/mpeg:
                    schema: { type: string, format: binary }
                  audio/ogg:
                    schema: { type: string, format: binary }
              responses:
                "201":
                  description: The prompt, stored.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Prompt"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413":
                  description: The file is larger than 20 MB (`too_large`).
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TooLargeError"
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }
            delete:
              tags: [prompts]
              operationId: deletePrompt
              summary: Delete a prompt of the tenant.
              description: |
                Operators and the tenant's admins. While an announcement or a menu plays it, the
                prompt is kept and the answer is a 409 that names them; a prompt that replaces a
                system prompt may always go (the system prompt plays again). System prompts
                themselves cannot be deleted (404).
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/prompts/{prompt}/speech:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Prompt"
            post:
              tags: [prompts]
              operationId: speakPrompt
              summary: Make the prompt by text-to-speech (replacing one of that name).
              description: Operators and the tenant's admins. Spoken by espeak-ng in Estonian or English.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewSpeech"
              responses:
                "201":
                  description: The prompt, stored.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Prompt"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/prompts/{prompt}/audio:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Prompt"
            get:
              tags: [prompts]
              operationId: getPromptAudio
              summary: The prompt's audio, to listen to (a system prompt's too).
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: An 8 kHz mono 16-bit WAV file, as callers hear it.
                  headers:
                    Content-Disposition:
                      required: true
                      schema:
                        type: string
                        pattern: ^inline
                  content:
                    audio/wav:
                      schema: { type: string, format: binary }
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/announcements:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [announcements]
              operationId: listAnnouncements
              summary: List the tenant's announcements by name.
              description: Operators and the tenant's admins.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of announcements.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/AnnouncementPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [announcements]
              operationId: createAnnouncement
              summary: Create an announcement.
              description: |
                Operators and the tenant's admins. The name must be new (409); every prompt must be
                the tenant's or a system prompt (404).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewAnnouncement"
              responses:
                "201":
                  description: The new announcement.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Announcement"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/announcements/{announcement}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Announcement"
            get:
              tags: [announcements]
              operationId: getAnnouncement
              summary: An announcement.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The announcement.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Announcement"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [announcements]
              operationId: replaceAnnouncement
              summary: Replace an announcement's prompts and next destination.
              description: |
                Operators and the tenant's admins. The body's `name` must be the announcement's (it
                is not renamed); an absent or null `next` is `none`.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewAnnouncement"
              responses:
                "200":
                  description: The announcement, replaced.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Announcement"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [announcements]
              operationId: deleteAnnouncement
              summary: Delete an announcement.
              description: |
                Operators and the tenant's admins. Numbers, menus and rules that pointed to it go
                nowhere until changed.
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/menus:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [menus]
              operationId: listMenus
              summary: List the tenant's IVR menus by name, with their options.
              description: Operators and the tenant's admins.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of menus.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/MenuPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [menus]
              operationId: createMenu
              summary: Create an IVR menu.
              description: |
                Operators and the tenant's admins. The name must be new (409); its three prompts
                must be the tenant's or system prompts (404). A menu can be built without the IVR
                add-on; a number is routed to it only with the add-on.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewMenu"
              responses:
                "201":
                  description: The new menu.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Menu"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/menus/{menu}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Menu"
            get:
              tags: [menus]
              operationId: getMenu
              summary: An IVR menu with its options.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The menu.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Menu"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            put:
              tags: [menus]
              operationId: replaceMenu
              summary: Replace a menu.
              description: |
                Operators and the tenant's admins. The body's `name` must be the menu's (it is not
                renamed). The whole menu is replaced: absent or null fields take their defaults, and
                the options are the body's.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewMenu"
              responses:
                "200":
                  description: The menu, replaced.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Menu"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [menus]
              operationId: deleteMenu
              summary: Delete a menu.
              description: |
                Operators and the tenant's admins. Numbers, menus and rules that pointed to it go
                nowhere until changed.
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [voicemail]
              operationId: listVoicemailBoxes
              summary: List the voicemail boxes the caller may open, by number.
              description: |
                Operators and the tenant's admins see every box of the tenant; a user sees their own
                box and the boxes of the groups they are a member of. Every user has a box, numbered
                by their extension; a group may have one of its own.
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of boxes.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailBoxPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [voicemail]
              operationId: createGroupVoicemailBox
              summary: Give a group a voicemail box of its own.
              description: |
                Operators and the tenant's admins. The box has a number of its own, not a user's
                extension (409), and a random PIN, shown in this answer only; a group has at most
                one box (409). A group's overflow can then be `voicemail:NUMBER`.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewGroupVoicemailBox"
              responses:
                "201":
                  description: The box and its PIN.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/CreatedVoicemailBox"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
            get:
              tags: [voicemail]
              operationId: getVoicemailBox
              summary: A voicemail box's settings, greetings and message counts.
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group. For a
                user, any other box does not exist (404).
              responses:
                "200":
                  description: The box.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailBox"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            patch:
              tags: [voicemail]
              operationId: updateVoicemailBox
              summary: Change a box's settings.
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group; only
                operators and admins may change the quota or a group box's e-mail (403 for a user).
                Absent or null fields stay as they are; `""` clears the e-mail. A user's box mails
                the user's own e-mail: setting one on it is a 400.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/VoicemailBoxChange"
              responses:
                "200":
                  description: The box, changed.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailBox"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [voicemail]
              operationId: deleteGroupVoicemailBox
              summary: Delete a group's box with its messages and greetings.
              description: |
                Operators and the tenant's admins. A user's box goes only with the user (409).
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/pin:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
            put:
              tags: [voicemail]
              operationId: changeVoicemailPIN
              summary: Choose the box's PIN.
              description: |
                The box's user, and the members of a group's box; operators and admins reset a PIN
                instead (403). 4–10 digits, not the box's number, not starting or ending with it, and
                not one digit repeated (400). It also unlocks the box.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/VoicemailPIN"
              responses:
                "204":
                  description: Changed.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/pin/reset:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
            post:
              tags: [voicemail]
              operationId: resetVoicemailPIN
              summary: Give the box a new random PIN.
              description: |
                Operators and the tenant's admins. Six random digits, never the box's number, shown
                in this answer only; the box is unlocked.
              responses:
                "200":
                  description: The new PIN.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailPIN"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/messages:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
            get:
              tags: [voicemail]
              operationId: listVoicemailMessages
              summary: The box's messages, new ones first.
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group. New
                messages first (urgent ones first among them), then heard and saved ones, oldest
                first in each; all in one page (a box holds at most its quota).
              parameters:
                - name: folder
                  in: query
                  required: false
                  description: Only the messages of this folder.
                  schema:
                    $ref: "#/components/schemas/VoicemailFolder"
              responses:
                "200":
                  description: The messages.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailMessagePage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/messages/{message}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
              - $ref: "#/components/parameters/Message"
            get:
              tags: [voicemail]
              operationId: getVoicemailMessage
              summary: A message.
              description: Operators, the tenant's admins, the box's user, and the members of its group.
              responses:
                "200":
                  description: The message.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailMessage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            patch:
              tags: [voicemail]
              operationId: moveVoicemailMessage
              summary: Move a message to a folder (heard, saved, or back to new).
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group.
                Listening through the API does not move a message; this does. The box's devices'
                message-waiting lamps follow.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/VoicemailMessageMove"
              responses:
                "200":
                  description: The message, moved.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailMessage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [voicemail]
              operationId: deleteVoicemailMessage
              summary: Delete a message.
              description: Operators, the tenant's admins, the box's user, and the members of its group.
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/messages/{message}/audio-url:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
              - $ref: "#/components/parameters/Message"
            post:
              tags: [voicemail]
              operationId: createVoicemailAudioURL
              summary: A short-lived link to listen to or download the message's audio.
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group. The
                link is valid for five minutes, for this message only, and only while the caller's
                token is valid and the caller may still open the box; it needs no bearer token, so a
                player can open it as it is. Every listen and download is written to the tenant's
                audit log with the caller.
              responses:
                "200":
                  description: The link.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/SignedURL"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/messages/{message}/audio:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
              - $ref: "#/components/parameters/Message"
            get:
              tags: [voicemail]
              operationId: getVoicemailAudio
              summary: The message's audio, through a link from `POST …/audio-url`.
              description: |
                Anyone with the link, without a token: the link's signature is the credential. A
                link that was changed, has expired, or whose caller has logged out is a 403.
              security: []
              parameters:
                - $ref: "#/components/parameters/LinkExpires"
                - $ref: "#/components/parameters/LinkBy"
                - $ref: "#/components/parameters/LinkSignature"
                - $ref: "#/components/parameters/LinkDownload"
              responses:
                "200":
                  description: An 8 kHz mono WAV file.
                  headers:
                    Content-Disposition:
                      required: true
                      schema:
                        type: string
                        pattern: ^(inline|attachment); filename=
                  content:
                    audio/wav:
                      schema: { type: string, format: binary }
                "400": { $ref: "#/components/responses/BadRequest" }
                "403": { $ref: "#/components/responses/LinkRefused" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/greetings:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
            get:
              tags: [voicemail]
              operationId: listVoicemailGreetings
              summary: The box's greetings.
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group.
                Callers hear the temporary greeting while there is one, else the busy or unavailable
                one as the box's `greetingMode` says, else a spoken default (with the name greeting
                in it when there is one).
              responses:
                "200":
                  description: The greetings, by kind.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailGreetingList"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/greetings/{kind}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
              - $ref: "#/components/parameters/GreetingKind"
            get:
              tags: [voicemail]
              operationId: getVoicemailGreetingAudio
              summary: A greeting's audio, to listen to.
              description: Operators, the tenant's admins, the box's user, and the members of its group.
              responses:
                "200":
                  description: An 8 kHz mono 16-bit WAV file, as callers hear it.
                  headers:
                    Content-Disposition:
                      required: true
                      schema:
                        type: string
                        pattern: ^inline
                  content:
                    audio/wav:
                      schema: { type: string, format: binary }
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }
            put:
              tags: [voicemail]
              operationId: uploadVoicemailGreeting
              summary: Set the greeting from an audio file (replacing the one of that kind).
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group. The
                body is the file itself, a WAV, MP3 or OGG file of at most 20 MB, sent with its
                Content-Type; it is converted to 8 kHz mono (at most ten minutes are kept). A body
                that is no audio of these formats is a 400 and changes nothing.
              requestBody:
                required: true
                content:
                  audio/wav:
                    schema: { type: string, format: binary }
                  audio/x-wav:
                    schema: { type: string, format: binary }
                  audio/mpeg:
                    schema: { type: string, format: binary }
                  audio/ogg:
                    schema: { type: string, format: binary }
              responses:
                "201":
                  description: The greeting, set.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailGreeting"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413":
                  description: The file is larger than 20 MB (`too_large`).
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/TooLargeError"
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }
            delete:
              tags: [voicemail]
              operationId: removeVoicemailGreeting
              summary: Remove a greeting.
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group.
                Callers hear the next greeting in order, or the default.
              responses:
                "204":
                  description: Removed.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/voicemail/boxes/{box}/greetings/{kind}/speech:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Box"
              - $ref: "#/components/parameters/GreetingKind"
            post:
              tags: [voicemail]
              operationId: speakVoicemailGreeting
              summary: Set the greeting by text-to-speech (replacing the one of that kind).
              description: |
                Operators, the tenant's admins, the box's user, and the members of its group. Spoken
                by espeak-ng in Estonian or English.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewSpeech"
              responses:
                "201":
                  description: The greeting, set.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/VoicemailGreeting"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/recordings:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [recordings]
              operationId: listCallRecordings
              summary: Search the tenant's call recordings, newest first.
              description: |
                Operators and the tenant's admins see every recording of the tenant; a user sees the
                recordings of their own calls when their policy lets them (`visible`), else none.
                Every filter given must hold. Newest first (by `startedAt`); `next` is the id of the
                page's last recording.
              parameters:
                - name: number
                  in: query
                  required: false
                  description: Only those recorded for this number of the tenant, in E.164 (`+` may be sent as `%2B`).
                  schema:
                    type: string
                    maxLength: 100
                    examples: ["+3726001000"]
                - name: user
                  in: query
                  required: false
                  description: Only the calls of this user, by extension.
                  schema:
                    type: string
                    maxLength: 100
                    examples: ["1001"]
                - name: direction
                  in: query
                  required: false
                  description: Only calls to the tenant (`inbound`) or only calls out (`outbound`).
                  schema:
                    $ref: "#/components/schemas/RecordedCallDirection"
                - name: from
                  in: query
                  required: false
                  description: Only those started at or after this time.
                  schema:
                    $ref: "#/components/schemas/QueryTime"
                - name: to
                  in: query
                  required: false
                  description: Only those started before this time.
                  schema:
                    $ref: "#/components/schemas/QueryTime"
                - name: minSeconds
                  in: query
                  required: false
                  description: Only those at least this long, in seconds (one still being recorded has no length yet, so is left out).
                  schema:
                    type: integer
                    minimum: 0
                    maximum: 86400
                - name: maxSeconds
                  in: query
                  required: false
                  description: Only those at most this long, in seconds (one still being recorded is left out).
                  schema:
                    type: integer
                    minimum: 0
                    maximum: 86400
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of recordings.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/CallRecordingPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/recordings/{recording}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Recording"
            get:
              tags: [recordings]
              operationId: getCallRecording
              summary: A call recording.
              description: |
                Operators and the tenant's admins; a user, for a recording of their own calls when
                their policy lets them (`visible`). For a user, any other recording does not exist (404).
              responses:
                "200":
                  description: The recording.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/CallRecording"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            delete:
              tags: [recordings]
              operationId: deleteCallRecording
              summary: Delete a recording now, before its retention ends.
              description: |
                Operators and the tenant's admins (a user: 403). A recording on legal hold (release
                it first) or still being recorded (`status` `recording`) is a 409. Its audio leaves
                the media store at the retention sweeper's next pass. Written to the tenant's audit
                log (`recording.delete`).
              responses:
                "204":
                  description: Deleted.
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/recordings/{recording}/audio-url:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Recording"
            post:
              tags: [recordings]
              operationId: createCallRecordingAudioURL
              summary: A short-lived link to listen to or download the recording.
              description: |
                Operators and the tenant's admins; a user, for a recording they may see (any other:
                404). A recording whose audio is not stored yet (no `sha256`: `status` is still
                `recording`) is a 409. The link is valid for five minutes, for this recording only,
                and only while the caller's token is valid and the caller may still see the
                recording; it needs no bearer token, so a player can open it as it is. Every listen
                and download is written to the tenant's audit log (`recording.listen`,
                `recording.download`) with the caller and their address.
              responses:
                "200":
                  description: The link.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/SignedURL"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/recordings/{recording}/audio:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Recording"
            get:
              tags: [recordings]
              operationId: getCallRecordingAudio
              summary: The recording's audio, through a link from `POST …/audio-url`.
              description: |
                Anyone with the link, without a token: the link's signature is the credential. A
                link that was changed, has expired, or whose caller has logged out is a 403; one
                whose caller may no longer see the recording, or of a recording deleted since, a
                404. The WAV file is decoded from the stored recording as it is sent.
              security: []
              parameters:
                - $ref: "#/components/parameters/LinkExpires"
                - $ref: "#/components/parameters/LinkBy"
                - $ref: "#/components/parameters/LinkSignature"
                - $ref: "#/components/parameters/LinkDownload"
                - $ref: "#/components/parameters/ByteRange"
              responses:
                "200":
                  description: An 8 kHz stereo WAV file, the caller on the left channel and the callee on the right.
                  headers:
                    Content-Disposition:
                      required: true
                      schema:
                        type: string
                        pattern: ^(inline|attachment); filename=
                  content:
                    audio/wav:
                      schema: { type: string, format: binary }
                "206": { $ref: "#/components/responses/PartialContent" }
                "400": { $ref: "#/components/responses/BadRequest" }
                "403": { $ref: "#/components/responses/LinkRefused" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "416": { $ref: "#/components/responses/RangeNotSatisfiable" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/recordings/{recording}/hold:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Recording"
            post:
              tags: [recordings]
              operationId: holdCallRecording
              summary: Put a recording on legal hold, kept past its retention until released.
              description: |
                Operators and the tenant's admins (a user: 403). A held recording is neither swept
                nor deleted (409); holding a held one changes nothing. Each hold is written to the
                tenant's audit log (`recording.hold`).
              responses:
                "200":
                  description: The recording, held.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/CallRecording"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/recordings/{recording}/release:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Recording"
            post:
              tags: [recordings]
              operationId: releaseCallRecording
              summary: Release a recording's legal hold.
              description: |
                Operators and the tenant's admins (a user: 403). A released recording past its
                `deleteAfter` is deleted at the retention sweeper's next pass. Each release is
                written to the tenant's audit log (`recording.release`).
              responses:
                "200":
                  description: The recording, released.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/CallRecording"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/exports:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            post:
              tags: [recordings]
              operationId: createMediaExport
              summary: Ask for an export of the tenant's media, built in the background.
              description: |
                Operators and the tenant's admins (a user: 403). The `recording` service builds it
                soon after, one export at a time, as a ZIP archive (see `MediaExport`) of the call
                recordings the filter picks (every one with an empty body) and, unless `voicemail` is
                `false`, every voicemail message; follow it with `GET …/exports/{export}` until its
                `status` is `ready`, then `POST …/download-url`. It stays downloadable for 7 days
                from when it is ready. Every filter given must hold, as for `GET …/recordings`; a
                recording still being recorded is left out. The request is written to the tenant's
                audit log (`export.request`) with the caller and their address.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/ExportRequest"
              responses:
                "202":
                  description: The export, `pending`.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/MediaExport"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }
            get:
              tags: [recordings]
              operationId: listMediaExports
              summary: The tenant's media exports, newest first.
              description: |
                Operators and the tenant's admins (a user: 403). The tenant's exports, newest
                first by `createdAt`, a page at a time (`next` names the page's last one): those
                asked for and the contract-end one, in every status (an expired one stays, without
                its archive).
              parameters:
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of exports.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/MediaExportPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/exports/{export}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Export"
            get:
              tags: [recordings]
              operationId: getMediaExport
              summary: A media export and how far it has come.
              description: |
                Operators and the tenant's admins (a user: 403). An id that is not a UUID, or not
                one of the tenant's exports, is a 404.
              responses:
                "200":
                  description: The export.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/MediaExport"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/exports/{export}/download-url:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Export"
            post:
              tags: [recordings]
              operationId: createMediaExportDownloadURL
              summary: A short-lived link to download the export's archive.
              description: |
                Operators and the tenant's admins (a user: 403). An export that is not `ready`
                (`pending`, `building`, `failed` or `expired`) is a 409. The link is valid for five
                minutes, for this export only, and only while the caller's token is valid; it needs
                no bearer token, so a browser can download it as it is. Both of its forms download
                the archive. Every download is written to the tenant's audit log
                (`export.download`) with the caller and their address.
              responses:
                "200":
                  description: The link.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/SignedURL"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/exports/{export}/archive:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Export"
            get:
              tags: [recordings]
              operationId: getMediaExportArchive
              summary: The export's ZIP archive, through a link from `POST …/download-url`.
              description: |
                Anyone with the link, without a token: the link's signature is the credential. A
                link that was changed, has expired, or whose caller has logged out is a 403, and so
                is one whose caller is a user (a tenant's admins and operators only). An export
                that is not `ready` (`pending`, `building`, `failed`, or `expired` with its archive
                deleted) is a 404. The archive holds `recordings/<id>.wav` for each call recording
                (8 kHz stereo WAV, the caller on the left channel and the callee on the right),
                `voicemail/<box>/<id>.wav` for each voicemail message (8 kHz mono WAV), and an index
                of them all, `index.csv` and `index.json` (see `MediaExport`). Each download is
                written to the tenant's audit log (`export.download`), and so is each part asked for
                with a `Range` (a download resumed).
              security: []
              parameters:
                - $ref: "#/components/parameters/LinkExpires"
                - $ref: "#/components/parameters/LinkBy"
                - $ref: "#/components/parameters/LinkSignature"
                - $ref: "#/components/parameters/LinkDownload"
                  description: Checked like any link's (`0` or `1`), but the archive is always a download.
                - $ref: "#/components/parameters/ByteRange"
              responses:
                "200":
                  description: "The archive, as a download (`Content-Disposition: attachment`, named `<tenant>-<export>.zip`)."
                  headers:
                    Content-Disposition:
                      required: true
                      schema:
                        type: string
                        pattern: '^attachment; filename="[a-z][a-z0-9_]{1,39}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.zip"$'
                    Cache-Control:
                      required: true
                      schema:
                        type: string
                        const: "private, no-store"
                  content:
                    application/zip:
                      schema: { type: string, format: binary }
                "206": { $ref: "#/components/responses/PartialContent" }
                "400": { $ref: "#/components/responses/BadRequest" }
                "403": { $ref: "#/components/responses/LinkRefused" }
                "404": { $ref: "#/components/responses/NotFound" }
                "416": { $ref: "#/components/responses/RangeNotSatisfiable" }
                "500": { $ref: "#/components/responses/Internal" }
                "503": { $ref: "#/components/responses/Unavailable" }

          /v1/tenants/{tenant}/audit-log:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [recordings]
              operationId: listAuditLog
              summary: The tenant's audit log, oldest first.
              description: |
                Operators and the tenant's admins (a user: 403). Who did what to what and when:
                configuration changes (`number-recording.updated`, `user-recording.updated`,
                `group.created`, …), voicemail's, and every listen, download, hold, release and
                deletion of a call recording (`recording.…`, these with the caller's address), each
                media export asked for and downloaded (`export.request`, `export.download`, with the
                caller's address), and the recordings the retention sweeper deleted
                (`recording.expired`). Oldest first;
                `next` is the id of the page's last entry.
              parameters:
                - name: action
                  in: query
                  required: false
                  description: Only the entries whose action starts with this (`recording.` for all of recordings').
                  schema:
                    type: string
                    maxLength: 100
                    examples: [recording.]
                - $ref: "#/components/parameters/Limit"
                - $ref: "#/components/parameters/After"
              responses:
                "200":
                  description: One page of entries.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/AuditEntryPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/catalogue:
            get:
              tags: [billing]
              operationId: getCatalogue
              summary: The plans and add-ons a tenant can subscribe to, with their monthly prices.
              description: Anyone with a valid token.
              responses:
                "200":
                  description: Plans first, then add-ons, each by code.
                  content:
                    application/json:
                      schema:
                        type: array
                        items:
                          $ref: "#/components/schemas/CatalogueItem"
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/subscriptions:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [billing]
              operationId: listSubscriptions
              summary: The tenant's subscriptions, past, present and future.
              description: Operators and the tenant's admins. All in one page, by start day.
              responses:
                "200":
                  description: The subscriptions.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/SubscriptionPage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [billing]
              operationId: subscribe
              summary: Subscribe the tenant to a plan or an add-on.
              description: |
                Operators and the tenant's admins. The subscription keeps the catalogue price it was
                sold at. A per-user plan takes a quantity of users; other items a quantity of 1; a
                per-number add-on (recording) names one of the tenant's numbers. A tenant at contract
                end (terminating or terminated) takes no new subscriptions (409).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/NewSubscription"
              responses:
                "201":
                  description: The new subscription.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Subscription"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/subscriptions/{subscription}/end:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Subscription"
            post:
              tags: [billing]
              operationId: endSubscription
              summary: End a subscription after a day (its last active, charged day).
              description: Operators and the tenant's admins. A subscription cannot end before it starts (400).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/SubscriptionEnd"
              responses:
                "200":
                  description: The subscription, ending.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Subscription"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/subscriptions/{subscription}/change:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - $ref: "#/components/parameters/Subscription"
            post:
              tags: [billing]
              operationId: changeSubscription
              summary: Change to another plan or quantity from a day.
              description: |
                Operators and the tenant's admins. The subscription ends the day before `from` and a
                new one (of the same number) starts on `from`: each invoice line has one price and
                one quantity. Nothing changes when the new one is wrong. A tenant at contract end
                changes no plan (409).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/PlanChange"
              responses:
                "201":
                  description: The new subscription.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Subscription"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "409": { $ref: "#/components/responses/Conflict" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/entitlements:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [billing]
              operationId: getEntitlements
              summary: What the tenant's subscriptions active today allow.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The features, recording retention per number and international minutes.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/Entitlements"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/invoices:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [billing]
              operationId: listInvoices
              summary: The tenant's issued invoices, by number.
              description: Operators and the tenant's admins. All in one page.
              responses:
                "200":
                  description: The invoices.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/InvoicePage"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }
            post:
              tags: [billing]
              operationId: issueInvoice
              summary: Issue the invoice of a month that has ended.
              description: |
                Operators only (the tenant's admins and users get 403, others 404). The invoice gets
                the next number without gaps and is kept for ever; issuing a month again returns the
                invoice already issued (200).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: "#/components/schemas/InvoiceRequest"
              responses:
                "200":
                  description: The month's invoice, issued before.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/IssuedInvoice"
                "201":
                  description: The invoice, issued now.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/IssuedInvoice"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "413": { $ref: "#/components/responses/TooLarge" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/invoices/preview:
            parameters:
              - $ref: "#/components/parameters/Tenant"
            get:
              tags: [billing]
              operationId: previewInvoice
              summary: The invoice of a month as it would be issued now.
              description: Operators and the tenant's admins. Nothing is numbered or stored.
              parameters:
                - name: period
                  in: query
                  required: true
                  description: The month, YYYY-MM.
                  schema:
                    $ref: "#/components/schemas/BillingPeriod"
              responses:
                "200":
                  description: The draft.
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/InvoiceDraft"
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

          /v1/tenants/{tenant}/invoices/{number}:
            parameters:
              - $ref: "#/components/parameters/Tenant"
              - name: number
                in: path
                required: true
                description: The invoice's number; with `.html` after it, the printable page.
                schema:
                  type: string
                  pattern: ^SB-[0-9]{7}(\.html)?$
                  examples: [SB-0000001]
            get:
              tags: [billing]
              operationId: getInvoice
              summary: An issued invoice, as JSON or as a printable HTML page.
              description: Operators and the tenant's admins.
              responses:
                "200":
                  description: The invoice (`SB-0000001`), or its page (`SB-0000001.html`).
                  content:
                    application/json:
                      schema:
                        $ref: "#/components/schemas/IssuedInvoice"
                    text/html:
                      schema:
                        type: string
                "400": { $ref: "#/components/responses/BadRequest" }
                "401": { $ref: "#/components/responses/Unauthenticated" }
                "403": { $ref: "#/components/responses/Forbidden" }
                "404": { $ref: "#/components/responses/NotFound" }
                "500": { $ref: "#/components/responses/Internal" }

        components:
          securitySchemes:
            bearer:
              type: http
              scheme: bearer
              description: A token from `POST /v1/auth/token`.

          parameters:
            Tenant:
              name: tenant
              in: path
              required: true
              description: The tenant's slug.
              schema:
                $ref: "#/components/schemas/Slug"
            Extension:
              name: extension
              in: path
              required: true
              description: The user's extension.
              schema:
                $ref: "#/components/schemas/Extension"
            Group:
              name: group
              in: path
              required: true
              description: The group's name.
              schema:
                $ref: "#/components/schemas/DialplanName"
            Schedule:
              name: schedule
              in: path
              required: true
              description: The schedule's name.
              schema:
                $ref: "#/components/schemas/DialplanName"
            Prompt:
              name: prompt
              in: path
              required: true
              description: The prompt's name.
              schema:
                $ref: "#/components/schemas/PromptName"
            Announcement:
              name: announcement
              in: path
              required: true
              description: The announcement's name.
              schema:
                $ref: "#/components/schemas/DialplanName"
            Menu:
              name: menu
              in: path
              required: true
              description: The menu's name.
              schema:
                $ref: "#/components/schemas/DialplanName"
            Member:
              name: member
              in: path
              required: true
              description: The member, an extension or an E.164 number (`+` may be sent as `%2B`).
              schema:
                $ref: "#/components/schemas/MemberID"
            Box:
              name: box
              in: path
              required: true
              description: The voicemail box's number (a user's extension, or a group box's own number).
              schema:
                $ref: "#/components/schemas/BoxNumber"
            Message:
              name: message
              in: path
              required: true
              description: The message's id.
              schema:
                type: string
                format: uuid
            GreetingKind:
              name: kind
              in: path
              required: true
              description: Which greeting.
              schema:
                $ref: "#/components/schemas/GreetingKind"
            Subscription:
              name: subscription
              in: path
              required: true
              description: The subscription's id.
              schema:
                type: string
                format: uuid
            Number:
              name: number
              in: path
              required: true
              description: The number in E.164 (`+` may be sent as `%2B`).
              schema:
                $ref: "#/components/schemas/E164"
            Recording:
              name: recording
              in: path
              required: true
              description: The recording's id.
              schema:
                type: string
                minLength: 1
                examples: ["0-1f3a9c-c1"]
            Export:
              name: export
              in: path
              required: true
              description: The export's id; one that is not a UUID does not exist (404).
              schema:
                type: string
                format: uuid
            LinkExpires:
              name: expires
              in: query
              required: true
              description: When the link expires, in Unix seconds.
              schema:
                type: integer
            LinkBy:
              name: by
              in: query
              required: true
              description: Whom the link was made for.
              schema:
                type: string
                format: uuid
            LinkSignature:
              name: signature
              in: query
              required: true
              description: The link's signature.
              schema:
                type: string
            LinkDownload:
              name: download
              in: query
              required: false
              description: "`1`: as a download (`Content-Disposition: attachment`); else to play inline."
              schema:
                type: string
                enum: ["0", "1"]
            ByteRange:
              name: Range
              in: header
              required: false
              description: |
                One range of bytes (`bytes=0-999`, `bytes=1000-`, `bytes=-500`), to resume a
                download or seek: answered 206 with that part, or 416 when it starts past the end.
                Several ranges, or a header that is not one (any text), get the whole file.
              schema:
                type: string
                examples: ["bytes=1048576-"]
            Limit:
              name: limit
              in: query
              required: false
              description: How many items a page has at most.
              schema:
                type: integer
                minimum: 1
                maximum: 200
                default: 50
            After:
              name: after
              in: query
              required: false
              description: The `next` of the previous page; absent for the first page.
              schema:
                type: string
                maxLength: 200

          responses:
            BadRequest:
              description: |
                The input is wrong (`invalid_request`): a body that is not a JSON object of the
                documented fields, a field of the wrong type or out of range, a bad query parameter,
                or a path parameter that cannot be one (a malformed tenant slug). The message names
                the field.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/InvalidRequestError"
            Unauthenticated:
              description: |
                No bearer token, or one that is not valid, has expired or was revoked
                (`unauthenticated`); for `POST /v1/auth/token`, a wrong e-mail, password or tenant.
              headers:
                WWW-Authenticate:
                  required: true
                  description: Always `Bearer realm="switchboard"`.
                  schema:
                    type: string
                    pattern: ^Bearer
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/UnauthenticatedError"
            Forbidden:
              description: |
                The caller may not do this (`forbidden`): a non-operator on an operator-only
                operation, or a user on what only their tenant's admins may do.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/ForbiddenError"
            NotFound:
              description: |
                No such thing (`not_found`), or it belongs to another tenant than the caller's.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/NotFoundError"
            Conflict:
              description: It collides with what exists (`conflict`), or the tenant's state does not allow it.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/ConflictError"
            TooLarge:
              description: The body is larger than 64 KiB (`too_large`).
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/TooLargeError"
            LinkRefused:
              description: |
                The link is not valid (`forbidden`): changed, made with another key, expired, or
                its caller's token has ended. Ask for a new one.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/ForbiddenError"
            Internal:
              description: |
                Something failed on the server (`internal`): never the caller's input. The operator's
                logs have the details.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/InternalError"

            PartialContent:
              description: The part of the file the `Range` asked for.
              headers:
                Content-Range:
                  required: true
                  schema:
                    type: string
                    pattern: '^bytes [0-9]+-[0-9]+/[0-9]+$'
              content:
                audio/wav:
                  schema: { type: string, format: binary }
                application/zip:
                  schema: { type: string, format: binary }
            RangeNotSatisfiable:
              description: The `Range` starts past the end of the file; `Content-Range` gives its length.
              headers:
                Content-Range:
                  required: true
                  schema:
                    type: string
                    pattern: '^bytes \*/[0-9]+$'
            Unavailable:
              description: |
                The media store (the `recording` service, which keeps prompts, voicemail audio and call
                recordings) did not answer or failed (`unavailable`); nothing was changed. Try again.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/UnavailableError"

          schemas:
            Error:
              description: The one shape of every error.
              type: object
              required: [error]
              properties:
                error:
                  type: object
                  required: [code, message]
                  properties:
                    code:
                      description: Stable; clients switch on it.
                      type: string
                      enum: [invalid_request, unauthenticated, forbidden, not_found, method_not_allowed, conflict, too_large,
                             too_many_attempts, internal, unavailable]
                    message:
                      description: What is wrong, in words.
                      type: string
                      minLength: 1
            InvalidRequestError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: invalid_request } } } }
            UnauthenticatedError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: unauthenticated } } } }
            ForbiddenError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: forbidden } } } }
            NotFoundError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: not_found } } } }
            ConflictError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: conflict } } } }
            TooLargeError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: too_large } } } }
            TooManyAttemptsError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: too_many_attempts } } } }
            InternalError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: internal } } } }
            UnavailableError:
              allOf:
                - $ref: "#/components/schemas/Error"
                - properties: { error: { properties: { code: { const: unavailable } } } }

            Slug:
              description: A tenant's short name; its schema is `tenant_<slug>`.
              type: string
              pattern: ^[a-z][a-z0-9_]{1,39}$
              examples: [acme]
            Extension:
              description: A user's extension, 2–6 digits; also their SIP username.
              type: string
              pattern: ^[0-9]{2,6}$
              examples: ["1001"]
            E164:
              description: A phone number in E.164.
              type: string
              pattern: ^\+[1-9][0-9]{5,14}$
              examples: ["+3726001000"]
            DialplanName:
              description: The name of a group, schedule, announcement or menu.
              type: string
              pattern: ^[a-z0-9][a-z0-9_-]{0,39}$
              examples: [sales]
            MemberID:
              description: A group member, an extension of the tenant or an E.164 number (a mobile).
              type: string
              pattern: ^([0-9]{2,6}|\+[1-9][0-9]{5,14})$
              examples: ["1001"]
            Destination:
              description: |
                Where calls go: `user:EXT`, `group:NAME`, `schedule:NAME`, `announcement:NAME`,
                `ivr:MENU` (only with the IVR add-on, for a number), `external:+E164`, `voicemail` or `none`.
              type: string
              pattern: "^(user:[0-9]{2,6}|(group|schedule|announcement|ivr):[a-z0-9][a-z0-9_-]{0,39}\
                |external:\\+[1-9][0-9]{5,14}|voicemail|none)$"
              examples: ["group:sales"]
            DestinationView:
              description: A destination as stored, in the syntax of `Destination`.
              type: string
              examples: ["group:sales"]
            Role:
              description: "`admin` manages the tenant; `user` reads and changes their own settings."
              type: string
              enum: [admin, user]
            Strategy:
              description: |
                How a group rings its logged-in members: all at once (`ring-all`), one after the
                other in order (`linear`), in turn starting after the last one offered a call
                (`round-robin`), the one offered a call longest ago first (`least-recent`), the one
                whose last call ended longest ago first (`longest-idle`), or in a random order
                (`random`).
              type: string
              enum: [ring-all, linear, round-robin, least-recent, longest-idle, random]
            ForwardingCondition:
              description: |
                When a rule forwards the user's calls: `always`, when `busy`, on `no-answer`, or when
                no device is registered (`unregistered`).
              type: string
              enum: [always, busy, no-answer, unregistered]
            CallerID:
              description: |
                What the user's outbound calls present: the tenant's main number (`main`), the user's
                own number (`own`), or nothing (`anonymous`).
              type: string
              enum: [main, own, anonymous]
            CallClass:
              description: How the user's calls are classified in records and billing unless chosen per call.
              type: string
              enum: [business, private]
            TimeOfDay:
              description: HH:MM, 00:00–23:59.
              type: string
              pattern: ^([01][0-9]|2[0-3]):[0-5][0-9]$
              examples: ["08:00"]
            ClosingTime:
              description: HH:MM, 00:00–23:59, or 24:00 (the end of the day).
              type: string
              pattern: ^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$
              examples: ["17:00"]
            PageNext:
              description: The cursor of the next page (its `?after=`); absent on the last page.
              type: string

            Login:
              type: object
              required: [email, password]
              properties:
                email:
                  type: string
                  maxLength: 254
                  examples: [admin@acme.example]
                password:
                  type: string
                  maxLength: 200
                tenant:
                  description: The tenant of an admin or user; absent or null for an operator.
                  type: [string, "null"]
                  pattern: ^[a-z][a-z0-9_]{1,39}$
            IssuedToken:
              type: object
              required: [token, expiresAt, role, subject]
              properties:
                token:
                  description: "Send it as `Authorization: Bearer <token>`."
                  type: string
                  minLength: 20
                  maxLength: 100
                expiresAt:
                  type: string
                  format: date-time
                role:
                  type: string
                  enum: [operator, admin, user]
                tenant:
                  description: The tenant of an admin or user; absent for an operator.
                  $ref: "#/components/schemas/Slug"
                subject:
                  description: An operator's e-mail, or an admin's or user's extension.
                  type: string
            Me:
              type: object
              required: [role, subject]
              properties:
                role:
                  type: string
                  enum: [operator, admin, user]
                tenant:
                  description: The tenant of an admin or user; absent for an operator.
                  $ref: "#/components/schemas/Slug"
                subject:
                  description: An operator's e-mail, or an admin's or user's extension.
                  type: string

            Tenant:
              type: object
              required: [slug, name, status, sipDomain, timeZone]
              properties:
                slug:
                  $ref: "#/components/schemas/Slug"
                name:
                  type: string
                  minLength: 1
                  maxLength: 200
                status:
                  description: |
                    `active`; `suspended` (calls and registrations refused, data kept);
                    `terminating` and `terminated` (the contract is ending or has ended).
                  type: string
                  enum: [active, suspended, terminating, terminated]
                sipDomain:
                  description: The SIP domain (digest realm) of the tenant's devices, lower case.
                  type: string
                timeZone:
                  description: An IANA time zone; schedules are in it.
                  type: string
                mainNumber:
                  description: The tenant's main number (its first); absent while it has none.
                  $ref: "#/components/schemas/E164"
                noticeEnds:
                  description: While terminating, the last day of service; absent before.
                  type: string
                  format: date
                exportEnds:
                  description: After termination, the last day the data can be exported before it is deleted.
                  type: string
                  format: date
            Termination:
              type: object
              properties:
                noticeDays:
                  description: Days of service left, 0–3650; absent or null is SWITCHBOARD_NOTICE_DAYS (default 30).
                  type: [integer, "null"]
                  minimum: 0
                  maximum: 3650
            TenantExport:
              description: |
                The tenant's data as stored: each table's rows as JSON objects of its columns, and
                the issued invoices.
              type: object
              required: [tenant, users, numbers, groups, group_members, schedules, schedule_periods, schedule_exceptions,
                         forwarding, subscriptions, calls, audit_log, invoices]
              properties:
                tenant:
                  $ref: "#/components/schemas/Slug"
                users: { $ref: "#/components/schemas/ExportRows" }
                numbers: { $ref: "#/components/schemas/ExportRows" }
                groups: { $ref: "#/components/schemas/ExportRows" }
                group_members: { $ref: "#/components/schemas/ExportRows" }
                schedules: { $ref: "#/components/schemas/ExportRows" }
                schedule_periods: { $ref: "#/components/schemas/ExportRows" }
                schedule_exceptions: { $ref: "#/components/schemas/ExportRows" }
                forwarding: { $ref: "#/components/schemas/ExportRows" }
                subscriptions: { $ref: "#/components/schemas/ExportRows" }
                calls: { $ref: "#/components/schemas/ExportRows" }
                audit_log: { $ref: "#/components/schemas/ExportRows" }
                invoices:
                  type: array
                  items:
                    $ref: "#/components/schemas/IssuedInvoice"
            ExportRows:
              type: array
              items:
                type: object
            NewTenant:
              type: object
              required: [slug, name, sipDomain]
              properties:
                slug:
                  $ref: "#/components/schemas/Slug"
                name:
                  description: 1–200 characters; surrounding white space is dropped.
                  type: string
                  minLength: 1
                  maxLength: 200
                  examples: [Acme Ltd]
                sipDomain:
                  description: A DNS name, stored in lower case; unique among tenants.
                  type: string
                  maxLength: 253
                  pattern: ^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$
                  examples: [acme.pbx.example]
                timeZone:
                  description: An IANA time zone name; absent or null is Europe/Tallinn.
                  type: [string, "null"]
                  default: Europe/Tallinn
                  examples: [Europe/Tallinn]
            TenantPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/Tenant"
                next:
                  $ref: "#/components/schemas/PageNext"
            TenantLimits:
              description: The tenant's caps; an absent one is no cap.
              type: object
              properties:
                concurrentCalls:
                  description: Calls of the tenant at once.
                  type: integer
                  minimum: 0
                internationalCalls:
                  description: International calls of the tenant at once.
                  type: integer
                  minimum: 0
            LimitsChange:
              type: object
              properties:
                concurrentCalls:
                  description: Calls of the tenant at once; null is no cap, and so is absent in a `PUT` (a `PATCH` keeps it).
                  type: [integer, "null"]
                  minimum: 0
                  maximum: 100000
                internationalCalls:
                  description: International calls of the tenant at once; null is no cap, and so is absent in a `PUT` (a `PATCH` keeps it).
                  type: [integer, "null"]
                  minimum: 0
                  maximum: 100000

            TenantSettings:
              type: object
              required: [language]
              properties:
                language:
                  description: The language of the system prompts the tenant's callers hear.
                  $ref: "#/components/schemas/Language"
            Language:
              description: Estonian (`et`) or English (`en`).
              type: string
              enum: [et, en]

            User:
              type: object
              required: [id, extension, name, role]
              properties:
                id:
                  type: string
                  format: uuid
                extension:
                  $ref: "#/components/schemas/Extension"
                name:
                  type: string
                  minLength: 1
                  maxLength: 200
                email:
                  description: The console login, lower case; absent when the user has none.
                  type: string
                mobile:
                  description: The user's mobile; absent when the user has none.
                  $ref: "#/components/schemas/E164"
                role:
                  $ref: "#/components/schemas/Role"
            UserPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/User"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewUser:
              type: object
              required: [extension, name]
              properties:
                extension:
                  $ref: "#/components/schemas/Extension"
                name:
                  description: 1–200 characters; surrounding white space is dropped.
                  type: string
                  minLength: 1
                  maxLength: 200
                  examples: [Mari Maasikas]
                email:
                  description: The console login (stored in lower case); unique within the tenant.
                  type: [string, "null"]
                  maxLength: 254
                  pattern: ^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$
                  examples: [mari@acme.example]
                mobile:
                  $ref: "#/components/schemas/OptionalE164"
                role:
                  description: Absent or null is `user`.
                  type: [string, "null"]
                  enum: [admin, user, null]
                password:
                  description: The console password, 10–200 characters; needs `email`.
                  type: [string, "null"]
                  minLength: 10
                  maxLength: 200
                sipPassword:
                  description: |
                    The device's SIP password, 8–128 printable ASCII characters; generated when absent
                    or null.
                  type: [string, "null"]
                  pattern: ^[!-~]{8,128}$
            OptionalE164:
              description: An E.164 number; absent or null for none.
              type: [string, "null"]
              pattern: ^\+[1-9][0-9]{5,14}$
            UserUpdate:
              type: object
              properties:
                name:
                  description: 1–200 characters; surrounding white space is dropped.
                  type: [string, "null"]
                  minLength: 1
                  maxLength: 200
                email:
                  description: The console login (stored in lower case); `""` clears it. Operators and admins only.
                  type: [string, "null"]
                  maxLength: 254
                  pattern: ^$|^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$
                mobile:
                  description: An E.164 number; `""` clears it.
                  type: [string, "null"]
                  pattern: ^$|^\+[1-9][0-9]{5,14}$
                role:
                  description: Operators and admins only.
                  type: [string, "null"]
                  enum: [admin, user, null]
                password:
                  description: A new console password, 10–200 characters; the user needs an e-mail.
                  type: [string, "null"]
                  minLength: 10
                  maxLength: 200
            CreatedUser:
              type: object
              required: [user, sip, voicemailPin]
              properties:
                user:
                  $ref: "#/components/schemas/User"
                sip:
                  $ref: "#/components/schemas/SIPCredentials"
                voicemailPin:
                  description: The PIN of the user's voicemail box (numbered by the extension), shown this once.
                  type: string
                  pattern: ^[0-9]{6}$
            SIPCredentials:
              description: What a phone is configured with; the password is shown this once.
              type: object
              required: [username, domain, password]
              properties:
                username:
                  $ref: "#/components/schemas/Extension"
                domain:
                  type: string
                password:
                  type: string
                  pattern: ^[!-~]{8,128}$
            NewSIPPassword:
              type: object
              properties:
                password:
                  description: 8–128 printable ASCII characters; generated when absent or null.
                  type: [string, "null"]
                  pattern: ^[!-~]{8,128}$
            Device:
              type: object
              required: [username, domain, registrations]
              properties:
                username:
                  $ref: "#/components/schemas/Extension"
                domain:
                  type: string
                registrations:
                  description: Live registrations, the one expiring first first.
                  type: array
                  items:
                    $ref: "#/components/schemas/Registration"
            Registration:
              type: object
              required: [contact, transport, expiresAt]
              properties:
                contact:
                  type: string
                transport:
                  type: string
                  examples: [UDP]
                userAgent:
                  type: string
                expiresAt:
                  type: string
                  format: date-time
            ForwardingRule:
              type: object
              required: [when, to]
              properties:
                when:
                  $ref: "#/components/schemas/ForwardingCondition"
                to:
                  $ref: "#/components/schemas/DestinationView"
                noAnswerSeconds:
                  description: For `no-answer`, how long the user's devices ring first.
                  type: integer
            ForwardingChange:
              type: object
              properties:
                to:
                  description: Where calls go; absent or null removes the rule.
                  anyOf:
                    - $ref: "#/components/schemas/Destination"
                    - type: "null"
                noAnswerSeconds:
                  description: For `no-answer`, how long the user's devices ring first, 5–300 seconds.
                  type: [integer, "null"]
                  minimum: 5
                  maximum: 300
            OutboundIdentity:
              type: object
              required: [callerId, defaultClass]
              properties:
                callerId:
                  $ref: "#/components/schemas/CallerID"
                defaultClass:
                  $ref: "#/components/schemas/CallClass"
            OutboundIdentityChange:
              type: object
              properties:
                callerId:
                  type: [string, "null"]
                  enum: [main, own, anonymous, null]
                defaultClass:
                  type: [string, "null"]
                  enum: [business, private, null]

            NumberAssignment:
              type: object
              required: [number, isMain, destination]
              properties:
                number:
                  $ref: "#/components/schemas/E164"
                isMain:
                  description: Whether this is the tenant's main number.
                  type: boolean
                destination:
                  $ref: "#/components/schemas/DestinationView"
            NumberPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/NumberAssignment"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewNumber:
              type: object
              required: [number]
              properties:
                number:
                  $ref: "#/components/schemas/E164"
                destination:
                  description: Where its calls go (not `external:`); absent or null is `none`.
                  anyOf:
                    - $ref: "#/components/schemas/Destination"
                    - type: "null"
            NumberRoute:
              type: object
              required: [destination]
              properties:
                destination:
                  description: Where its calls go, inside the tenant (not `external:`).
                  $ref: "#/components/schemas/Destination"

            Group:
              type: object
              required: [name, strategy, memberSeconds, totalSeconds, overflow, members]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                strategy:
                  $ref: "#/components/schemas/Strategy"
                memberSeconds:
                  description: How long a member rings unless the member says otherwise.
                  type: integer
                  minimum: 5
                  maximum: 300
                totalSeconds:
                  description: How long the group rings before the overflow.
                  type: integer
                  minimum: 5
                  maximum: 3600
                overflow:
                  $ref: "#/components/schemas/DestinationView"
                members:
                  description: In order.
                  type: array
                  items:
                    $ref: "#/components/schemas/GroupMember"
            GroupMember:
              type: object
              required: [member, loggedIn]
              properties:
                member:
                  $ref: "#/components/schemas/MemberID"
                ringSeconds:
                  description: This member's ring time; absent is the group's.
                  type: integer
                  minimum: 5
                  maximum: 300
                loggedIn:
                  type: boolean
            GroupPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/Group"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewGroup:
              type: object
              required: [name]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                strategy:
                  description: Absent or null is `ring-all` (or, for a change, unchanged).
                  anyOf:
                    - $ref: "#/components/schemas/Strategy"
                    - type: "null"
                memberSeconds:
                  description: 5–300; absent or null is 20 (or unchanged).
                  type: [integer, "null"]
                  minimum: 5
                  maximum: 300
                totalSeconds:
                  description: 5–3600; absent or null is 60 (or unchanged).
                  type: [integer, "null"]
                  minimum: 5
                  maximum: 3600
                overflow:
                  description: Where calls go when no member answers in time; absent or null is `none` (or unchanged).
                  anyOf:
                    - $ref: "#/components/schemas/Destination"
                    - type: "null"
            NewMember:
              type: object
              required: [member]
              properties:
                member:
                  $ref: "#/components/schemas/MemberID"
                ringSeconds:
                  description: 5–300; absent or null is the group's `memberSeconds`.
                  type: [integer, "null"]
                  minimum: 5
                  maximum: 300
            MemberLogin:
              type: object
              required: [loggedIn]
              properties:
                loggedIn:
                  type: boolean

            Welcome:
              type: object
              properties:
                announcement:
                  description: Absent when the group has none.
                  $ref: "#/components/schemas/DialplanName"
            NewWelcome:
              type: object
              required: [announcement]
              properties:
                announcement:
                  $ref: "#/components/schemas/DialplanName"

            Schedule:
              type: object
              required: [name, open, closed, periods, exceptions]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                open:
                  description: Where calls go while open.
                  $ref: "#/components/schemas/DestinationView"
                closed:
                  description: Where calls go while closed.
                  $ref: "#/components/schemas/DestinationView"
                periods:
                  type: array
                  items:
                    $ref: "#/components/schemas/Period"
                exceptions:
                  type: array
                  items:
                    $ref: "#/components/schemas/ScheduleException"
            Period:
              type: object
              required: [day, opens, closes]
              properties:
                day:
                  description: ISO weekday, 1 = Monday.
                  type: integer
                  minimum: 1
                  maximum: 7
                opens:
                  $ref: "#/components/schemas/TimeOfDay"
                closes:
                  $ref: "#/components/schemas/ClosingTime"
            ScheduleException:
              type: object
              required: [day]
              properties:
                day:
                  type: string
                  format: date
                opens:
                  description: Absent, with `closes`, for a day closed all day.
                  $ref: "#/components/schemas/TimeOfDay"
                closes:
                  $ref: "#/components/schemas/ClosingTime"
                label:
                  type: string
            SchedulePage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/Schedule"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewSchedule:
              type: object
              required: [name, open, closed]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                open:
                  description: Where calls go while open.
                  $ref: "#/components/schemas/Destination"
                closed:
                  description: Where calls go while closed.
                  $ref: "#/components/schemas/Destination"
            NewPeriod:
              type: object
              required: [days, opens, closes]
              properties:
                days:
                  description: ISO weekdays, 1 = Monday.
                  type: array
                  minItems: 1
                  items:
                    type: integer
                    minimum: 1
                    maximum: 7
                  examples: [[1, 2, 3, 4, 5]]
                opens:
                  $ref: "#/components/schemas/TimeOfDay"
                closes:
                  description: After `opens`.
                  $ref: "#/components/schemas/ClosingTime"
            NewException:
              type: object
              required: [day]
              properties:
                day:
                  description: The date, YYYY-MM-DD.
                  type: string
                  format: date
                  pattern: ^[0-9]{4}-[0-9]{2}-[0-9]{2}$
                  examples: ["2025-12-24"]
                opens:
                  description: With `closes`, the hours of a special opening; absent or null for closed all day.
                  type: [string, "null"]
                  pattern: ^([01][0-9]|2[0-3]):[0-5][0-9]$
                closes:
                  description: After `opens`.
                  type: [string, "null"]
                  pattern: ^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$
                label:
                  type: [string, "null"]
                  examples: [Christmas Eve]

            PromptName:
              description: A prompt's name; a prompt of the tenant's own replaces the system prompt of its name (`invalid-choice`, `no-input`, `goodbye`, …).
              type: string
              pattern: ^[a-z0-9][a-z0-9_-]{0,62}$
              examples: [welcome]
            Prompt:
              type: object
              required: [name, sha256, source, sizeBytes, durationMs]
              properties:
                name:
                  $ref: "#/components/schemas/PromptName"
                sha256:
                  description: The content hash of its audio (an 8 kHz mono WAV file).
                  type: string
                  pattern: ^[0-9a-f]{64}$
                language:
                  $ref: "#/components/schemas/Language"
                source:
                  description: An uploaded file, text-to-speech, or a system prompt.
                  type: string
                  enum: [upload, tts, system]
                text:
                  description: What text-to-speech (or a system prompt) says.
                  type: string
                sizeBytes:
                  type: integer
                  minimum: 0
                durationMs:
                  type: integer
                  minimum: 0
            PromptPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/Prompt"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewSpeech:
              type: object
              required: [text, language]
              properties:
                text:
                  description: What the prompt says; not only white space.
                  type: string
                  minLength: 1
                  maxLength: 2000
                  examples: ["Tere tulemast! Müügiosakonna saamiseks vajutage üks."]
                language:
                  $ref: "#/components/schemas/Language"

            Announcement:
              type: object
              required: [name, prompts, next]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                prompts:
                  description: Played in order.
                  type: array
                  items:
                    $ref: "#/components/schemas/PromptName"
                next:
                  description: Where the call goes afterwards; `none` hangs up.
                  $ref: "#/components/schemas/DestinationView"
            AnnouncementPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/Announcement"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewAnnouncement:
              type: object
              required: [name, prompts]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                prompts:
                  description: 1–20 prompts of the tenant or system prompts, played in order.
                  type: array
                  minItems: 1
                  maxItems: 20
                  items:
                    $ref: "#/components/schemas/PromptName"
                  examples: [[welcome, closed]]
                next:
                  description: Where the call goes afterwards; absent, null or `none` hangs up.
                  anyOf:
                    - $ref: "#/components/schemas/Destination"
                    - type: "null"

            MenuChoice:
              description: |
                What a key does: a destination (`user:EXT`, `group:NAME`, `schedule:NAME`,
                `announcement:NAME`, `ivr:MENU`, `external:+E164`, `voicemail`), `repeat` (the menu
                again) or `hangup`.
              type: string
              pattern: "^(user:[0-9]{2,6}|(group|schedule|announcement|ivr):[a-z0-9][a-z0-9_-]{0,39}\
                |external:\\+[1-9][0-9]{5,14}|voicemail|repeat|hangup)$"
              examples: ["group:sales"]
            MenuFinal:
              description: After the retries, a destination (as for a key) or `hangup`.
              type: string
              pattern: "^(user:[0-9]{2,6}|(group|schedule|announcement|ivr):[a-z0-9][a-z0-9_-]{0,39}\
                |external:\\+[1-9][0-9]{5,14}|voicemail|hangup)$"
              examples: [hangup]
            MenuOptions:
              description: A choice per key, `0`–`9`, `*` and `#`.
              type: object
              propertyNames:
                pattern: ^[0-9*#]$
              additionalProperties:
                $ref: "#/components/schemas/MenuChoice"
              examples: [{"1": "group:sales", "2": "group:support", "9": "repeat", "0": "hangup"}]
            Menu:
              type: object
              required: [name, greeting, timeoutSeconds, retries, invalidPrompt, timeoutPrompt, final, directDial, options]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                greeting:
                  $ref: "#/components/schemas/PromptName"
                timeoutSeconds:
                  description: How long the menu waits for a key after the greeting.
                  type: integer
                  minimum: 1
                  maximum: 60
                retries:
                  description: How often the menu is offered again after no key or a key without a choice.
                  type: integer
                  minimum: 0
                  maximum: 9
                invalidPrompt:
                  $ref: "#/components/schemas/PromptName"
                timeoutPrompt:
                  $ref: "#/components/schemas/PromptName"
                final:
                  description: After the retries.
                  type: string
                directDial:
                  description: The caller may key an extension too.
                  type: boolean
                options:
                  type: object
                  additionalProperties:
                    type: string
            MenuPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/Menu"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewMenu:
              type: object
              required: [name, greeting]
              properties:
                name:
                  $ref: "#/components/schemas/DialplanName"
                greeting:
                  description: The prompt played first.
                  $ref: "#/components/schemas/PromptName"
                timeoutSeconds:
                  description: 1–60; absent or null is 5.
                  type: [integer, "null"]
                  minimum: 1
                  maximum: 60
                retries:
                  description: 0–9; absent or null is 2.
                  type: [integer, "null"]
                  minimum: 0
                  maximum: 9
                invalidPrompt:
                  description: Played after a key without a choice; absent or null is `invalid-choice`.
                  anyOf:
                    - $ref: "#/components/schemas/PromptName"
                    - type: "null"
                timeoutPrompt:
                  description: Played when no key comes in time; absent or null is `no-input`.
                  anyOf:
                    - $ref: "#/components/schemas/PromptName"
                    - type: "null"
                final:
                  description: After the retries; absent or null is `hangup`.
                  anyOf:
                    - $ref: "#/components/schemas/MenuFinal"
                    - type: "null"
                directDial:
                  description: The caller may key an extension too; absent or null is false.
                  type: [boolean, "null"]
                options:
                  description: Absent or null is none.
                  anyOf:
                    - $ref: "#/components/schemas/MenuOptions"
                    - type: "null"

            BoxNumber:
              description: A voicemail box's number, 2–6 digits; a user's box has the user's extension.
              type: string
              pattern: ^[0-9]{2,6}$
              examples: ["1001"]
            VoicemailFolder:
              description: A message is `new` until it is first played, then `heard`, or `saved` on purpose.
              type: string
              enum: [new, heard, saved]
            GreetingKind:
              description: |
                `unavailable`, `busy`, `temporary` (played instead of the others until it is removed)
                and `name` (the box's name, spoken in the default greeting).
              type: string
              enum: [unavailable, busy, temporary, name]
            GreetingMode:
              description: "`by-reason`: the busy greeting when the user was busy, else the unavailable one; `unavailable`: always that one."
              type: string
              enum: [by-reason, unavailable]
            MessageSummary:
              description: The box's counts, as message-waiting lamps show them; old is heard and saved.
              type: object
              required: [new, old, urgentNew, urgentOld]
              properties:
                new: { type: integer, minimum: 0 }
                old: { type: integer, minimum: 0 }
                urgentNew: { type: integer, minimum: 0 }
                urgentOld: { type: integer, minimum: 0 }
            VoicemailBox:
              type: object
              required: [number, greetingMode, maxSeconds, minMs, quota, emailNotify, hasPIN, greetings, summary]
              properties:
                number:
                  $ref: "#/components/schemas/BoxNumber"
                owner:
                  description: The user's extension, for a user's box.
                  $ref: "#/components/schemas/Extension"
                group:
                  description: The group, for a group's box.
                  $ref: "#/components/schemas/DialplanName"
                greetingMode:
                  $ref: "#/components/schemas/GreetingMode"
                maxSeconds:
                  description: The longest message kept, in seconds.
                  type: integer
                  minimum: 10
                  maximum: 600
                minMs:
                  description: A shorter message is not kept (the call counts as missed).
                  type: integer
                  minimum: 0
                  maximum: 10000
                quota:
                  description: How many messages the box holds; a full box takes no more.
                  type: integer
                  minimum: 1
                  maximum: 1000
                emailNotify:
                  description: Whether new messages are mailed (with the audio) to the user, or to a group box's `email`.
                  type: boolean
                email:
                  description: A group box's address; a user's box mails the user's own e-mail.
                  type: string
                hasPIN:
                  description: Whether the box has a PIN (a box made before PINs has none until an admin resets it).
                  type: boolean
                lockedUntil:
                  description: After repeated wrong PINs on the phone, no PIN is tried until then.
                  type: string
                  format: date-time
                greetings:
                  description: The greetings it has.
                  type: array
                  items:
                    $ref: "#/components/schemas/GreetingKind"
                summary:
                  $ref: "#/components/schemas/MessageSummary"
            VoicemailBoxPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/VoicemailBox"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewGroupVoicemailBox:
              type: object
              required: [group, number]
              properties:
                group:
                  $ref: "#/components/schemas/DialplanName"
                number:
                  description: The box's number; not a user's extension.
                  $ref: "#/components/schemas/BoxNumber"
                email:
                  description: Where new messages are mailed; absent or null for none.
                  type: [string, "null"]
                  maxLength: 254
                  pattern: ^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$
            CreatedVoicemailBox:
              type: object
              required: [box, pin]
              properties:
                box:
                  $ref: "#/components/schemas/VoicemailBox"
                pin:
                  description: The box's PIN, shown this once.
                  type: string
                  pattern: ^[0-9]{6}$
            VoicemailBoxChange:
              type: object
              properties:
                greetingMode:
                  anyOf:
                    - $ref: "#/components/schemas/GreetingMode"
                    - type: "null"
                maxSeconds:
                  description: 10–600.
                  type: [integer, "null"]
                  minimum: 10
                  maximum: 600
                minMs:
                  description: 0–10000.
                  type: [integer, "null"]
                  minimum: 0
                  maximum: 10000
                quota:
                  description: 1–1000; operators and admins only.
                  type: [integer, "null"]
                  minimum: 1
                  maximum: 1000
                emailNotify:
                  type: [boolean, "null"]
                email:
                  description: A group box's address; `""` clears it. Operators and admins only.
                  type: [string, "null"]
                  maxLength: 254
                  pattern: ^$|^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$
            VoicemailPIN:
              type: object
              required: [pin]
              properties:
                pin:
                  description: 4–10 digits.
                  type: string
                  pattern: ^[0-9]{4,10}$
            VoicemailMessage:
              type: object
              required: [id, box, folder, urgent, caller, callId, reason, durationMs, sha256, receivedAt]
              properties:
                id:
                  type: string
                  format: uuid
                box:
                  $ref: "#/components/schemas/BoxNumber"
                folder:
                  $ref: "#/components/schemas/VoicemailFolder"
                urgent:
                  description: The caller marked it urgent.
                  type: boolean
                caller:
                  description: The caller's number or extension, as the call presented it.
                  type: string
                callId:
                  type: string
                reason:
                  description: Why the call reached the box.
                  type: string
                  enum: [busy, no-answer, unregistered, forwarding, closed, direct]
                durationMs:
                  type: integer
                  minimum: 0
                sha256:
                  description: The content hash of its audio (an 8 kHz mono WAV file).
                  type: string
                  pattern: ^[0-9a-f]{64}$
                receivedAt:
                  type: string
                  format: date-time
            VoicemailMessagePage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/VoicemailMessage"
            VoicemailMessageMove:
              type: object
              required: [folder]
              properties:
                folder:
                  $ref: "#/components/schemas/VoicemailFolder"
            SignedURL:
              description: A short-lived link to one resource, for the caller it was made for; it needs no bearer token.
              type: object
              required: [url, downloadUrl, expiresAt]
              properties:
                url:
                  description: The link to play (or show) it inline, relative to the API's address (a `GET …/audio`).
                  type: string
                  format: uri-reference
                downloadUrl:
                  description: The same link, as a download.
                  type: string
                  format: uri-reference
                expiresAt:
                  type: string
                  format: date-time
            VoicemailGreeting:
              type: object
              required: [kind, sha256, source]
              properties:
                kind:
                  $ref: "#/components/schemas/GreetingKind"
                sha256:
                  description: The content hash of its audio (an 8 kHz mono WAV file).
                  type: string
                  pattern: ^[0-9a-f]{64}$
                source:
                  description: Recorded by phone, an uploaded file, or text-to-speech.
                  type: string
                  enum: [phone, upload, tts]
                text:
                  description: What text-to-speech says.
                  type: string
            VoicemailGreetingList:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/VoicemailGreeting"

            RecordingPolicy:
              description: |
                Which calls are recorded: calls to the tenant (`inbound`), calls out through the
                trunk (`outbound`), `both` or `none`. Calls between the tenant's own phones never are.
              type: string
              enum: [inbound, outbound, both, none]
            NumberRecordingPolicy:
              type: object
              required: [number, policy, notice]
              properties:
                number:
                  $ref: "#/components/schemas/E164"
                policy:
                  $ref: "#/components/schemas/RecordingPolicy"
                notice:
                  description: Whether the parties hear the recording notice before recording starts.
                  type: boolean
                retentionDays:
                  description: |
                    How many days its recordings are kept: the retention of the number's recording
                    add-on (the longest, if several). Absent: the number has no recording add-on
                    today, and its calls are not recorded.
                  type: integer
                  minimum: 1
            NumberRecordingPolicyChange:
              type: object
              required: [policy]
              properties:
                policy:
                  $ref: "#/components/schemas/RecordingPolicy"
                notice:
                  description: Whether the parties hear the recording notice; absent or null is `true`.
                  type: [boolean, "null"]
            UserRecordingPolicy:
              type: object
              required: [extension, visible]
              properties:
                extension:
                  $ref: "#/components/schemas/Extension"
                policy:
                  description: The user's own; absent, the policy of the number a call is recorded for.
                  $ref: "#/components/schemas/RecordingPolicy"
                notice:
                  description: Whether the parties hear the recording notice; absent, as the number says.
                  type: boolean
                visible:
                  description: Whether the user may list and hear the recordings of their own calls.
                  type: boolean
            UserRecordingPolicyChange:
              description: The whole policy; what is absent or null is not kept from before.
              type: object
              properties:
                policy:
                  description: Absent or null follows the number's policy.
                  anyOf:
                    - $ref: "#/components/schemas/RecordingPolicy"
                    - type: "null"
                notice:
                  description: Absent or null follows the number's.
                  type: [boolean, "null"]
                visible:
                  description: Whether the user may see their recordings; absent or null is `false`.
                  type: [boolean, "null"]
            RecordedCallDirection:
              description: A call to the tenant (`inbound`), or out through the trunk (`outbound`).
              type: string
              enum: [inbound, outbound]
            QueryTime:
              description: An ISO 8601 time with `Z` or an offset, without fractions of a second (`+` may be sent as `%2B`).
              type: string
              format: date-time
              pattern: ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:?[0-9]{2})$
              examples: ["2026-12-01T00:00:00Z"]
            CallRecording:
              type: object
              required: [id, callId, number, direction, caller, callee, notice, startedAt, status, retentionDays, deleteAfter,
                         legalHold]
              properties:
                id:
                  type: string
                callId:
                  type: string
                number:
                  description: The tenant's number whose policy made the call recorded.
                  $ref: "#/components/schemas/E164"
                direction:
                  $ref: "#/components/schemas/RecordedCallDirection"
                user:
                  description: The user whose call it is, when there is one.
                  $ref: "#/components/schemas/Extension"
                caller:
                  description: The caller's number or extension (the left channel of the audio).
                  type: string
                callee:
                  description: Who answered, a number or an extension (the right channel).
                  type: string
                notice:
                  description: Whether the parties heard the recording notice before recording started.
                  type: boolean
                startedAt:
                  type: string
                  format: date-time
                status:
                  description: |
                    `recording` while the call is recorded or its audio is on its way to the store;
                    `complete` when stored whole; `incomplete` when stored with what arrived (audio
                    was lost, or the call's edge stopped before the end).
                  type: string
                  enum: [recording, complete, incomplete]
                durationMs:
                  description: Its length, once stored.
                  type: integer
                  minimum: 0
                sizeBytes:
                  description: The size of the stored audio (Ogg Opus), once stored.
                  type: integer
                  minimum: 0
                retentionDays:
                  description: How long it is kept, from the number's recording add-on when the call started.
                  type: integer
                  minimum: 1
                  maximum: 365
                deleteAfter:
                  description: When the retention sweeper deletes it, unless it is on legal hold.
                  type: string
                  format: date-time
                legalHold:
                  description: Kept past `deleteAfter`, and not deleted, until released.
                  type: boolean
                sha256:
                  description: The content hash of its stored audio, once stored.
                  type: string
                  pattern: ^[0-9a-f]{64}$
            CallRecordingPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/CallRecording"
                next:
                  $ref: "#/components/schemas/PageNext"
            AuditEntry:
              type: object
              required: [id, at, actor, action, subject]
              properties:
                id:
                  type: integer
                  minimum: 1
                at:
                  type: string
                  format: date-time
                actor:
                  description: Who did it, the API caller (`admin:1001@acme`, `operator:ops@example.com`), `cli`, or the retention sweeper (`retention`).
                  type: string
                  examples: ["admin:1001@acme"]
                action:
                  description: What was done, `thing.verb`.
                  type: string
                  examples: [recording.download]
                subject:
                  description: To what (a recording's id, a number, an extension, a name).
                  type: string
                from:
                  description: The caller's IP address, when the entry has one.
                  type: string
            AuditEntryPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/AuditEntry"
                next:
                  $ref: "#/components/schemas/PageNext"
            UTCTime:
              description: An ISO 8601 time in UTC, without fractions of a second, as the API writes times.
              type: string
              format: date-time
              pattern: ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$
              examples: ["2026-12-01T00:00:00Z"]
            ExportRequest:
              description: |
                What goes in an export: the call recordings that every filter given picks (all of
                them when none is), and, unless `voicemail` is `false`, every voicemail message of
                every box. A field that is absent or null filters nothing. `{}` exports everything.
              type: object
              properties:
                number:
                  description: Only the recordings made for this number of the tenant, in E.164 (as a recording's `number`).
                  type: [string, "null"]
                  examples: ["+3726001000"]
                user:
                  description: Only the recordings of this user's calls, by extension.
                  type: [string, "null"]
                  examples: ["1001"]
                direction:
                  description: Only the recordings of calls to the tenant (`inbound`), or only of calls out (`outbound`).
                  anyOf:
                    - $ref: "#/components/schemas/RecordedCallDirection"
                    - type: "null"
                from:
                  description: Only the recordings started at or after this time (ISO 8601 with `Z` or an offset, without fractions).
                  anyOf:
                    - $ref: "#/components/schemas/QueryTime"
                    - type: "null"
                to:
                  description: Only the recordings started before this time (ISO 8601 with `Z` or an offset, without fractions).
                  anyOf:
                    - $ref: "#/components/schemas/QueryTime"
                    - type: "null"
                minSeconds:
                  description: Only the recordings at least this long, in seconds.
                  type: [integer, "null"]
                  minimum: 0
                  maximum: 86400
                maxSeconds:
                  description: Only the recordings at most this long, in seconds.
                  type: [integer, "null"]
                  minimum: 0
                  maximum: 86400
                voicemail:
                  description: Whether the voicemail messages go in too; absent or null is `true`.
                  type: [boolean, "null"]
                  default: true
            MediaExportFilter:
              description: |
                The recordings the export takes, as they were asked for: a filter that was not given
                is absent (the contract-end export has none but `limit`: every recording). Times are
                in UTC.
              type: object
              required: [limit]
              properties:
                number:
                  description: Only the recordings made for this number.
                  type: string
                user:
                  description: Only the recordings of this user's calls, by extension.
                  type: string
                direction:
                  $ref: "#/components/schemas/RecordedCallDirection"
                from:
                  description: Only the recordings started at or after this time.
                  $ref: "#/components/schemas/UTCTime"
                to:
                  description: Only the recordings started before this time.
                  $ref: "#/components/schemas/UTCTime"
                minSeconds:
                  description: Only the recordings at least this long, in seconds.
                  type: integer
                  minimum: 0
                  maximum: 86400
                maxSeconds:
                  description: Only the recordings at most this long, in seconds.
                  type: integer
                  minimum: 0
                  maximum: 86400
                limit:
                  description: |
                    The page size of a recordings search, always present (100): the export does not
                    use it, and takes every recording the filter picks.
                  type: integer
                  minimum: 1
                  maximum: 1000
            MediaExport:
              description: |
                An export of the tenant's media, asked for by `POST …/exports` or made at contract
                end, and built in the background by the `recording` service. Its archive is a ZIP
                file (stored, not compressed) of
                - `recordings/<id>.wav`, each call recording the filter picks and whose audio is
                  stored (one still being recorded is left out): an 8 kHz stereo WAV file, the
                  caller on the left channel and the callee on the right;
                - `voicemail/<box>/<id>.wav`, each voicemail message of each box (with
                  `voicemail`): an 8 kHz mono WAV file;
                - `index.csv` and `index.json`, one entry for each of those files: `kind`
                  (`recording` or `voicemail`), `id` (the recording's, or the message's), `file`
                  (its path in the archive), `callId`, `number`, `direction` and `callee` (a
                  recording's), `user` (a recording's user, when it has one), `box` (a message's),
                  `caller`, `startedAt` (when the recording started or the message came, ISO 8601 in
                  UTC), `durationMs`, `status` (a recording's `complete` or `incomplete`, a message's
                  folder) and `sha256` (of the WAV file in the archive). `index.csv` has a header
                  line of those names, lines ending in CRLF and fields quoted as RFC 4180 says, an
                  absent field empty; `index.json` is an array of objects, absent fields left out.

                One asked for is downloadable for 7 days after it is ready; the contract-end one
                until the end of the tenant's export window (`exportEnds`). Then its archive is
                deleted and it is `expired`. Asking for one and each download are written to the
                tenant's audit log (`export.request`, `export.download`).
              type: object
              required: [id, reason, requestedBy, filter, voicemail, status, createdAt]
              properties:
                id:
                  type: string
                  format: uuid
                reason:
                  description: |
                    `request`: asked for by `POST …/exports`; `contract-end`: made once when the
                    tenant's contract ended (`terminated`), of every recording and message, for the
                    export window.
                  type: string
                  enum: [request, contract-end]
                requestedBy:
                  description: Who asked, as the audit log names the caller (`admin:1001@acme`); `contract-end` for the contract-end export.
                  type: string
                  minLength: 1
                  examples: ["admin:1001@acme"]
                filter:
                  $ref: "#/components/schemas/MediaExportFilter"
                voicemail:
                  description: Whether the voicemail messages are in it.
                  type: boolean
                status:
                  description: |
                    `pending` until `recording` takes it up; `building` while it builds the archive
                    (a build cut off by a stopped replica is taken up again after 15 minutes);
                    `ready` to download (`POST …/download-url`); `failed`, with `error`, for good
                    (ask for another); `expired` once its time is over and the archive is deleted.
                  type: string
                  enum: [pending, building, ready, failed, expired]
                items:
                  description: How many WAV files the archive holds (recordings and messages), once ready.
                  type: integer
                  minimum: 0
                sizeBytes:
                  description: The size of the archive, once ready.
                  type: integer
                  minimum: 0
                error:
                  description: Why it failed, in words, when `failed`.
                  type: string
                createdAt:
                  description: When it was asked for.
                  $ref: "#/components/schemas/UTCTime"
                readyAt:
                  description: When its archive was ready.
                  $ref: "#/components/schemas/UTCTime"
                expiresAt:
                  description: Downloadable until then, once ready; the archive is deleted after.
                  $ref: "#/components/schemas/UTCTime"
                sha256:
                  description: The content hash of the archive (the ZIP file as downloaded), once ready.
                  type: string
                  pattern: ^[0-9a-f]{64}$
              allOf:
                - if: { properties: { status: { enum: [ready, expired] } } }
                  then: { required: [items, sizeBytes, readyAt, expiresAt, sha256] }
                - if: { properties: { status: { const: failed } } }
                  then: { required: [error] }
            MediaExportPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/MediaExport"
                next:
                  $ref: "#/components/schemas/PageNext"

            Money:
              description: An amount in euros with two decimals, as a string.
              type: string
              pattern: ^-?[0-9]+\.[0-9]{2}$
              examples: ["12.78"]
            FourDecimals:
              description: A per-minute rate or an exact charge in euros with four decimals, as a string.
              type: string
              pattern: ^-?[0-9]+\.[0-9]{4}$
              examples: ["0.0523"]
            Day:
              description: A calendar date, YYYY-MM-DD.
              type: string
              format: date
              pattern: ^[0-9]{4}-[0-9]{2}-[0-9]{2}$
              examples: ["2025-03-01"]
            BillingPeriod:
              description: A calendar month, YYYY-MM.
              type: string
              pattern: ^[0-9]{4}-(0[1-9]|1[0-2])$
              examples: ["2025-02"]
            CatalogueItem:
              type: object
              required: [code, kind, name, unit, monthlyPrice, features]
              properties:
                code:
                  description: Stable identifier.
                  type: string
                  examples: [mobile-unlimited]
                kind:
                  description: "`plan`: the per-user base product; `addon`: anything bought on top."
                  type: string
                  enum: [plan, addon]
                name:
                  description: As shown on invoices.
                  type: string
                unit:
                  description: What one unit of a subscription's quantity is.
                  type: string
                  enum: [user, tenant, number, bundle]
                monthlyPrice:
                  description: Per unit and month, VAT excluded.
                  $ref: "#/components/schemas/Money"
                includedMinutes:
                  description: International minutes per unit and full month, for bundles; absent when none.
                  type: integer
                  minimum: 0
                features:
                  description: What the item entitles to (calls, ivr, recording, international).
                  type: array
                  items:
                    type: string
            Subscription:
              type: object
              required: [id, code, quantity, monthlyPrice, starts]
              properties:
                id:
                  type: string
                  format: uuid
                code:
                  description: The catalogue item.
                  type: string
                quantity:
                  description: Users for a per-user plan; 1 for everything else.
                  type: integer
                  minimum: 1
                monthlyPrice:
                  description: The price per unit and month it was sold at, VAT excluded.
                  $ref: "#/components/schemas/Money"
                number:
                  description: The number a per-number add-on covers.
                  $ref: "#/components/schemas/E164"
                starts:
                  description: The first active day.
                  $ref: "#/components/schemas/Day"
                ends:
                  description: The last active (charged) day; absent while open-ended.
                  $ref: "#/components/schemas/Day"
            SubscriptionPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/Subscription"
                next:
                  $ref: "#/components/schemas/PageNext"
            NewSubscription:
              type: object
              required: [code]
              properties:
                code:
                  description: A code of the catalogue (`GET /v1/catalogue`); another is a 400.
                  type: string
                  examples: [mobile-unlimited]
                quantity:
                  description: Users, for a per-user plan; 1 for other items. Absent or null is 1.
                  type: [integer, "null"]
                  minimum: 1
                  maximum: 100000
                number:
                  description: For a per-number add-on, one of the tenant's numbers.
                  $ref: "#/components/schemas/OptionalE164"
                starts:
                  description: The first active day, YYYY-MM-DD; absent or null is today (UTC).
                  type: [string, "null"]
                  format: date
                  pattern: ^[0-9]{4}-[0-9]{2}-[0-9]{2}$
            SubscriptionEnd:
              type: object
              required: [lastDay]
              properties:
                lastDay:
                  description: The last active (charged) day, not before the first.
                  $ref: "#/components/schemas/Day"
            PlanChange:
              type: object
              required: [code, from]
              properties:
                code:
                  description: The new catalogue item.
                  type: string
                  examples: [mobile-unlimited-plus]
                quantity:
                  description: The new quantity; absent or null keeps the old one.
                  type: [integer, "null"]
                  minimum: 1
                  maximum: 100000
                from:
                  description: The first day of the new subscription.
                  $ref: "#/components/schemas/Day"
            Entitlements:
              type: object
              required: [features, recordingRetentionDays, internationalMinutes]
              properties:
                features:
                  description: What the tenant may use today (calls, ivr, recording, international).
                  type: array
                  items:
                    type: string
                maxConcurrentCalls:
                  description: A cap on calls at once from the subscriptions; absent when none.
                  type: integer
                  minimum: 0
                recordingRetentionDays:
                  description: Days recordings of each number are kept, by number.
                  type: object
                  additionalProperties:
                    type: integer
                    minimum: 0
                internationalMinutes:
                  description: International minutes a month from bundles.
                  type: integer
                  minimum: 0
            InvoiceRequest:
              type: object
              required: [period]
              properties:
                period:
                  description: The month; it must have ended.
                  $ref: "#/components/schemas/BillingPeriod"
            InvoicePage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  items:
                    $ref: "#/components/schemas/IssuedInvoice"
                next:
                  $ref: "#/components/schemas/PageNext"
            IssuedInvoice:
              type: object
              required: [number, tenant, tenantName, issuedAt, invoice]
              properties:
                number:
                  description: Gapless, across all tenants.
                  type: string
                  pattern: ^SB-[0-9]{7}$
                tenant:
                  $ref: "#/components/schemas/Slug"
                tenantName:
                  type: string
                issuedAt:
                  type: string
                  format: date-time
                invoice:
                  $ref: "#/components/schemas/InvoiceDraft"
            InvoiceDraft:
              type: object
              required: [period, lines, subtotal, vatRate, vat, total, usage]
              properties:
                period:
                  $ref: "#/components/schemas/BillingPeriod"
                lines:
                  description: Subscription lines, then usage lines (business, then private).
                  type: array
                  items:
                    $ref: "#/components/schemas/InvoiceLine"
                subtotal:
                  description: The sum of the lines' amounts.
                  $ref: "#/components/schemas/Money"
                vatRate:
                  description: VAT in percent.
                  type: string
                  pattern: ^[0-9]+(\.[0-9]{1,2})?$
                  examples: ["24"]
                vat:
                  description: subtotal × vatRate, rounded once half away from zero.
                  $ref: "#/components/schemas/Money"
                total:
                  description: subtotal + vat.
                  $ref: "#/components/schemas/Money"
                usage:
                  $ref: "#/components/schemas/UsageRating"
            InvoiceLine:
              type: object
              required: [kind, description, code, quantity, amount]
              properties:
                kind:
                  description: |
                    `subscription`: a pro-rated subscription; `usage`: international minutes beyond the
                    bundle.
                  type: string
                  enum: [subscription, usage]
                description:
                  type: string
                code:
                  description: The catalogue code, or intl-minutes-business / intl-minutes-private for usage.
                  type: string
                quantity:
                  description: Users (or 1) for a subscription; charged minutes for usage.
                  type: integer
                unitPrice:
                  description: Monthly price per unit; absent for usage.
                  $ref: "#/components/schemas/Money"
                activeDays:
                  description: Days the subscription was active in the month; absent for usage.
                  type: integer
                periodDays:
                  description: Days in the month; absent for usage.
                  type: integer
                from:
                  description: The first active day in the month; absent for usage.
                  $ref: "#/components/schemas/Day"
                through:
                  description: The last active day in the month; absent for usage.
                  $ref: "#/components/schemas/Day"
                subscriptionID:
                  type: string
                number:
                  description: The number a per-number item covers.
                  type: string
                minutesFromBundle:
                  description: Usage only, minutes the bundle covered.
                  type: integer
                exactCharge:
                  description: Usage only, the exact sum of the calls' charges before rounding.
                  $ref: "#/components/schemas/FourDecimals"
                amount:
                  description: Rounded once to cents, half away from zero.
                  $ref: "#/components/schemas/Money"
            UsageRating:
              description: The international calls of the month, rated.
              type: object
              required: [bundleMinutes, bundleMinutesUsed, calls]
              properties:
                bundleMinutes:
                  description: Included minutes of the month (pro-rated, rounded down).
                  type: integer
                bundleMinutesUsed:
                  type: integer
                calls:
                  type: array
                  items:
                    $ref: "#/components/schemas/RatedCall"
            RatedCall:
              type: object
              required: [call, minutes, minutesFromBundle, chargedMinutes, prefix, rate, charge]
              properties:
                call:
                  type: object
                  required: [callID, destination, billableSeconds, classification, day]
                  properties:
                    callID:
                      type: string
                    destination:
                      type: string
                    billableSeconds:
                      type: integer
                    classification:
                      $ref: "#/components/schemas/CallClass"
                    day:
                      $ref: "#/components/schemas/Day"
                minutes:
                  description: Started minutes = minutesFromBundle + chargedMinutes.
                  type: integer
                minutesFromBundle:
                  type: integer
                chargedMinutes:
                  type: integer
                prefix:
                  description: The rate table's prefix that priced the call.
                  type: string
                rate:
                  description: Per minute.
                  $ref: "#/components/schemas/FourDecimals"
                charge:
                  description: chargedMinutes × rate, exact.
                  $ref: "#/components/schemas/FourDecimals"

        """#
}
