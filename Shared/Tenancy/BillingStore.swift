import Events
import Foundation
import Messaging
import Postgres
import Pricing

/// A subscription as stored and shown: a catalogue item for a span of days.
package struct StoredSubscription: Sendable, Codable, Equatable {
    package var id: UUID
    package var code: String
    package var quantity: Int
    /// The price per unit and month it was sold at (VAT excluded).
    package var monthlyPrice: Money
    package var number: String?
    package var starts: String
    /// The last active day (inclusive); nil while open-ended.
    package var ends: String?

    /// The id in lower case, as paths and events carry it.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(code, forKey: .code)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(monthlyPrice, forKey: .monthlyPrice)
        try container.encodeIfPresent(number, forKey: .number)
        try container.encode(starts, forKey: .starts)
        try container.encodeIfPresent(ends, forKey: .ends)
    }
}

/// An issued invoice: its number, the tenant and the computed document.
package struct IssuedInvoice: Sendable, Codable {
    package var number: String
    package var tenant: String
    package var tenantName: String
    package var issuedAt: Date
    package var invoice: InvoiceDraft
}

/// Subscriptions, call history, entitlements and invoices in PostgreSQL (DESIGN §1, §5): the
/// database side of billing, shared by the `billing` service, the API and the CLI. The
/// arithmetic is `Pricing`'s.
package struct BillingStore: Sendable {
    let db: PostgresClient
    let publisher: EventPublisher
    let actor: String
    /// VAT percent added on invoices.
    let vatRate: Percent
    /// The calling-code prefix of domestic numbers ("+372"): other E.164 numbers are international.
    let domesticPrefix: String

    package init(db: PostgresClient, publisher: EventPublisher, actor: String = "cli", vatRate: Percent, countryCode: String) {
        self.db = db
        self.publisher = publisher
        self.actor = actor
        self.vatRate = vatRate
        domesticPrefix = "+" + countryCode
    }

    // MARK: Catalogue

    package func catalogue() async throws -> Catalogue {
        let items = try await db.query("""
            SELECT code, kind, name, unit, monthly_price::text AS price, included_minutes, array_to_string(features, ',') AS features
            FROM platform.catalogue ORDER BY kind DESC, code
            """).map { row -> CatalogueItem in
            let code: String = try row.decode("code")
            guard let kind = CatalogueItem.Kind(rawValue: try row.decode("kind")), let unit = CatalogueItem.Unit(rawValue: try row.decode("unit")),
                  let price = Money(try row.decode("price", as: String.self)) else {
                throw TenancyError.invalid("catalogue item \(code) is malformed")
            }
            let features: String = try row.decode("features")
            return CatalogueItem(code: code, kind: kind, name: try row.decode("name"), unit: unit, monthlyPrice: price,
                                 includedMinutes: try row.decode("included_minutes"),
                                 features: features.split(separator: ",").map(String.init))
        }
        return try Catalogue(items)
    }

    // MARK: Subscriptions

    package func subscriptions(tenant: String) async throws -> [StoredSubscription] {
        let slug = try TenantSlug(tenant)
        return try await db.query("""
            SELECT id, code, quantity, monthly_price::text AS price, number, to_char(starts, 'YYYY-MM-DD') AS starts,
                   to_char(ends, 'YYYY-MM-DD') AS ends
            FROM \(identifier: slug.schema).subscriptions ORDER BY starts, code, id
            """).map {
            StoredSubscription(id: try $0.decode("id"), code: try $0.decode("code"), quantity: try $0.decode("quantity"),
                               monthlyPrice: Money(try $0.decode("price", as: String.self)) ?? Money(cents: 0),
                               number: try $0.decode("number"), starts: try $0.decode("starts"), ends: try $0.decode("ends"))
        }
    }

    /// Subscribes the tenant to a catalogue item from `starts` (inclusive). A per-user plan takes a
    /// quantity of users; a per-number add-on (recording) a number of the tenant.
    package func subscribe(tenant: String, code: String, quantity: Int, number: String?, starts: String,
                           ends: String? = nil) async throws -> StoredSubscription {
        let slug = try TenantSlug(tenant)
        let item = try await checkedNew(slug, code: code, quantity: quantity, number: number, starts: starts, ends: ends)
        let id = try await db.withTransaction { connection in
            try await insert(connection, slug, item: item, quantity: quantity, number: number, starts: starts, ends: ends)
        }
        outbox.committed()
        return StoredSubscription(id: id, code: code, quantity: quantity, monthlyPrice: item.monthlyPrice, number: number, starts: starts,
                                  ends: ends)
    }

    /// Ends a subscription after `lastDay` (its last active, charged day).
    package func end(tenant: String, subscription id: UUID, lastDay: String) async throws -> StoredSubscription {
        let slug = try TenantSlug(tenant)
        guard Day(lastDay) != nil else { throw TenancyError.invalid("lastDay \(lastDay): a date YYYY-MM-DD") }
        try await db.withTransaction { connection in
            try await end(connection, slug, id: id, lastDay: lastDay)
        }
        outbox.committed()
        return try await subscription(tenant: tenant, id: id)
    }

    /// A plan change from `day`: the old subscription ends the day before, the new one starts on
    /// `day`; both in one transaction, after the new one is checked, so a refused change changes nothing.
    package func change(tenant: String, subscription id: UUID, to code: String, quantity: Int?,
                        from day: String) async throws -> StoredSubscription {
        let slug = try TenantSlug(tenant)
        guard let first = Day(day) else { throw TenancyError.invalid("from \(day): a date YYYY-MM-DD") }
        let old = try await subscription(tenant: tenant, id: id)
        // The old subscription ends the day before: a change must come after its start (which also
        // keeps `first.previous` inside the calendar for 0001-01-01).
        guard let starts = Day(old.starts), first > starts else {
            throw TenancyError.invalid("from \(day): a change must start after the subscription's start \(old.starts)")
        }
        let quantity = quantity ?? old.quantity
        let item = try await checkedNew(slug, code: code, quantity: quantity, number: old.number, starts: day, ends: nil)
        let newID = try await db.withTransaction { connection in
            try await end(connection, slug, id: id, lastDay: first.previous.description)
            return try await insert(connection, slug, item: item, quantity: quantity, number: old.number, starts: day, ends: nil)
        }
        outbox.committed()
        return try await subscription(tenant: tenant, id: newID)
    }

    private func subscription(tenant: String, id: UUID) async throws -> StoredSubscription {
        guard let found = try await subscriptions(tenant: tenant).first(where: { $0.id == id }) else {
            throw TenancyError.notFound("no subscription \(id.uuidString.lowercased())")
        }
        return found
    }

    /// The catalogue item of a new subscription, once everything about it is checked: a tenant in
    /// service, known item, dates, quantity, and the number (the tenant's own).
    private func checkedNew(_ slug: TenantSlug, code: String, quantity: Int, number: String?, starts: String,
                            ends: String?) async throws -> CatalogueItem {
        guard let status = try await db.query("SELECT status FROM platform.tenants WHERE slug = \(slug.value)").first?
            .decode("status", as: TenantStatus.self), status != .deleted else { throw TenancyError.notFound("no tenant \(slug)") }
        guard status.isOpen else {
            throw TenancyError.conflict("tenant \(slug) is \(status): its contract is ending, no new subscriptions")
        }
        guard let startDay = Day(starts) else { throw TenancyError.invalid("starts \(starts): a date YYYY-MM-DD") }
        let endDay = try ends.map { text -> Day in
            guard let day = Day(text) else { throw TenancyError.invalid("ends \(text): a date YYYY-MM-DD") }
            return day
        }
        try Validation.range(quantity, Self.quantityRange, field: "quantity")
        guard let item = try await catalogue().item(code) else { throw TenancyError.invalid("no catalogue item \(code)") }
        do {
            try Subscription(id: "new", item: item, quantity: quantity, number: number, starts: startDay, ends: endDay).validate()
        } catch {
            throw TenancyError.invalid("\(error)")
        }
        if let number, !Validation.isE164(number) { throw TenancyError.invalid("number \(String(reflecting: number)): an E.164 number") }
        if let number, try await db.query("SELECT 1 FROM platform.numbers WHERE e164 = \(number) AND tenant = \(slug.value)").isEmpty {
            throw TenancyError.invalid("\(number) is not a number of tenant \(slug)")
        }
        return item
    }

    /// Users (or bundles) one subscription may count.
    package static let quantityRange = 1...100_000

    private func insert(_ connection: PostgresConnection, _ slug: TenantSlug, item: CatalogueItem, quantity: Int, number: String?,
                        starts: String, ends: String?) async throws -> UUID {
        let rows = try await connection.query("""
            INSERT INTO \(identifier: slug.schema).subscriptions (code, quantity, number, starts, ends, monthly_price)
            VALUES (\(item.code), \(quantity), \(number), \(starts)::date, \(ends)::date, \(item.monthlyPrice.description)::numeric) RETURNING id
            """)
        let id: UUID = try rows[0].decode("id")
        try await audit(connection, slug, action: "subscription.create", subject: "\(item.code) \(id.uuidString.lowercased())")
        try await outbox.configChanged(slug, entity: "subscription", key: id.uuidString.lowercased(), action: "updated", on: connection)
        return id
    }

    private func end(_ connection: PostgresConnection, _ slug: TenantSlug, id: UUID, lastDay: String) async throws {
        let rows = try await connection.query("""
            SELECT starts <= \(lastDay)::date AS fits FROM \(identifier: slug.schema).subscriptions WHERE id = \(id) FOR UPDATE
            """)
        guard let row = rows.first else { throw TenancyError.notFound("no subscription \(id.uuidString.lowercased())") }
        guard try row.decode("fits", as: Bool.self) else { throw TenancyError.invalid("a subscription cannot end before it starts") }
        try await connection.query("UPDATE \(identifier: slug.schema).subscriptions SET ends = \(lastDay)::date WHERE id = \(id)")
        try await audit(connection, slug, action: "subscription.end", subject: "\(id.uuidString.lowercased()) \(lastDay)")
        try await outbox.configChanged(slug, entity: "subscription", key: id.uuidString.lowercased(), action: "updated", on: connection)
    }

    /// The features the tenant's subscriptions give on `day`, and recording retention per number.
    package func entitlements(tenant: String, on day: Day) async throws -> EntitlementsChanged {
        let catalogue = try await catalogue()
        var features = Set<String>()
        var retention: [String: Int] = [:]
        var minutes = 0
        for subscription in try await subscriptions(tenant: tenant) {
            guard let starts = Day(subscription.starts), starts <= day, subscription.ends.flatMap(Day.init).map({ day <= $0 }) ?? true,
                  let item = catalogue.item(subscription.code) else { continue }
            features.formUnion(item.features)
            if let number = subscription.number, let days = Entitlements.retentionDays(code: item.code) {
                retention[number] = max(retention[number] ?? 0, days)
            }
            minutes += (item.includedMinutes ?? 0) * subscription.quantity
        }
        return EntitlementsChanged(features: features.sorted(), maxConcurrentCalls: nil, recordingRetentionDays: retention,
                                   internationalMinutes: minutes)
    }

    // MARK: Calls

    /// Stores a CDR in the tenant's call history. The same call twice is stored (and charged) once.
    /// - Returns: whether it was new.
    @discardableResult
    package func record(_ cdr: CallRecord, callID: String, tenant: String) async throws -> Bool {
        let slug = try TenantSlug(tenant)
        let international = cdr.direction == .outbound && cdr.to.hasPrefix("+") && !cdr.to.hasPrefix(domesticPrefix)
        let rows = try await db.query("""
            INSERT INTO \(identifier: slug.schema).calls (call_id, direction, caller, callee, classification, started_at, answered_at,
                ended_at, billable_seconds, cause, international, recording_id, recording_failure)
            VALUES (\(callID), \(cdr.direction), \(cdr.from), \(cdr.to), \(cdr.classification), \(cdr.start), \(cdr.answer), \(cdr.end),
                \(cdr.billableSeconds), \(cdr.cause), \(international), \(cdr.recording?.recordingId), \(cdr.recording?.reason))
            ON CONFLICT (call_id) DO NOTHING RETURNING call_id
            """)
        return !rows.isEmpty
    }

    // MARK: Invoices

    /// The invoice of `period` as it would be issued now (no number, nothing stored).
    package func preview(tenant: String, period: BillingPeriod) async throws -> InvoiceDraft {
        try await db.withConnection { connection in try await draft(tenant: tenant, period: period, on: connection) }
    }

    /// Issues the invoice of a month that has ended: the next number without gaps, stored for ever.
    /// Issuing the same month again returns the invoice already issued.
    package func issue(tenant: String, period: BillingPeriod, today: Day) async throws -> IssuedInvoice {
        let slug = try TenantSlug(tenant)
        guard period.lastDay < today else { throw TenancyError.invalid("\(period) has not ended; it can be invoiced after \(period.lastDay)") }
        if let existing = try await invoice(tenant: tenant, period: period) { return existing }
        let name: String = try await db.query("SELECT name FROM platform.tenants WHERE slug = \(slug.value)").first?.decode("name") ?? slug.value
        do {
            return try await db.withTransaction { connection in
                let draft = try await draft(tenant: tenant, period: period, on: connection)
                let counter = try await connection.query("""
                    UPDATE platform.invoice_counter SET next_number = next_number + 1 RETURNING next_number - 1 AS number
                    """)
                guard let row = counter.first else { throw TenancyError.invalid("the invoice counter is missing") }
                let sequence: Int = try row.decode("number")
                let number = "SB-" + String(format: "%07d", sequence)
                let issued = IssuedInvoice(number: number, tenant: slug.value, tenantName: name, issuedAt: Date(), invoice: draft)
                let document = String(decoding: try Self.encoder.encode(issued), as: UTF8.self)
                try await connection.query("""
                    INSERT INTO platform.invoices (number, tenant, period, subtotal, vat, total, document)
                    VALUES (\(number), \(slug.value), \(period.description), \(draft.subtotal.description)::numeric,
                            \(draft.vat.description)::numeric, \(draft.total.description)::numeric, \(document)::jsonb)
                    """)
                try await audit(connection, slug, action: "invoice.issue", subject: number)
                return issued
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            // Issued by someone else meanwhile.
            guard let existing = try await invoice(tenant: tenant, period: period) else { throw error }
            return existing
        }
    }

    package func invoices(tenant: String) async throws -> [IssuedInvoice] {
        let slug = try TenantSlug(tenant)
        return try await db.query("SELECT document::text AS document FROM platform.invoices WHERE tenant = \(slug.value) ORDER BY number")
            .map { try Self.decoder.decode(IssuedInvoice.self, from: Data(try $0.decode("document", as: String.self).utf8)) }
    }

    package func invoice(tenant: String, number: String) async throws -> IssuedInvoice {
        guard let found = try await invoices(tenant: tenant).first(where: { $0.number == number }) else {
            throw TenancyError.notFound("tenant \(tenant) has no invoice \(number)")
        }
        return found
    }

    package func invoice(tenant: String, period: BillingPeriod) async throws -> IssuedInvoice? {
        try await invoices(tenant: tenant).first { $0.invoice.period == period }
    }

    private func draft(tenant: String, period: BillingPeriod, on connection: PostgresConnection) async throws -> InvoiceDraft {
        let slug = try TenantSlug(tenant)
        let catalogue = try await catalogue()
        let subscriptions = try await subscriptions(tenant: tenant).compactMap { stored -> Subscription? in
            guard var item = catalogue.item(stored.code), let starts = Day(stored.starts) else { return nil }
            item.monthlyPrice = stored.monthlyPrice
            return Subscription(id: stored.id.uuidString.lowercased(), item: item, quantity: stored.quantity, number: stored.number,
                                starts: starts, ends: stored.ends.flatMap(Day.init))
        }
        // International calls of the month in the tenant's time zone, in the order they were made.
        let calls = try await connection.query("""
            SELECT c.call_id, c.callee, c.billable_seconds, c.classification,
                   to_char(c.started_at AT TIME ZONE t.time_zone, 'YYYY-MM-DD') AS day
            FROM \(identifier: slug.schema).calls c JOIN platform.tenants t ON t.slug = \(slug.value)
            WHERE c.international AND c.billable_seconds > 0
              AND to_char(c.started_at AT TIME ZONE t.time_zone, 'YYYY-MM') = \(period.description)
            ORDER BY c.started_at, c.call_id
            """).map { row -> BillableCall in
            guard let day = Day(try row.decode("day", as: String.self)) else { throw TenancyError.invalid("bad call date") }
            return BillableCall(callID: try row.decode("call_id"), destination: try row.decode("callee"),
                                billableSeconds: try row.decode("billable_seconds"),
                                classification: Classification(rawValue: try row.decode("classification")) ?? .business, day: day)
        }
        var rates: [String: Rate] = [:]
        for row in try await connection.query("SELECT prefix, per_minute::text AS rate FROM platform.rates") {
            rates[try row.decode("prefix")] = Rate(try row.decode("rate", as: String.self))
        }
        do {
            return try Invoice.compute(period: period, subscriptions: subscriptions, calls: calls, rates: try RateTable(rates), vatRate: vatRate)
        } catch let error as PricingError {
            throw TenancyError.invalid("\(error)")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    private func audit(_ connection: PostgresConnection, _ slug: TenantSlug, action: String, subject: String) async throws {
        try await connection.query("""
            INSERT INTO \(identifier: slug.schema).audit_log (actor, action, subject) VALUES (\(actor), \(action), \(subject))
            """)
    }

    private var outbox: Outbox { Outbox(db: db, publisher: publisher) }
}

extension Day {
    /// The calendar day `now` falls on in `zone`.
    package static func today(in zone: TimeZone, now: Date = Date()) -> Day {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return Day(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1) ?? Day(ordinal: 0)
    }
}

/// What a tenant's subscriptions allow today, read where a feature is used (routing, configuration).
package enum Entitlements {
    /// Days a recording add-on keeps recordings, as its code says ("recording-60d" → 60).
    package static func retentionDays(code: String) -> Int? {
        guard code.hasPrefix("recording-") else { return nil }
        return Int(code.dropFirst("recording-".count).prefix(while: \.isNumber))
    }

    /// How many days calls to `number` are recorded for, from the number's recording add-on active
    /// today (the longest, if several); nil: calls to it are not recorded.
    package static func recordingRetentionDays(number: String, slug: TenantSlug, db: PostgresClient) async throws -> Int? {
        try await db.query("""
            SELECT s.code FROM \(identifier: slug.schema).subscriptions s JOIN platform.catalogue c ON c.code = s.code
            WHERE 'recording' = ANY (c.features) AND s.number = \(number) AND s.starts <= current_date AND (s.ends IS NULL OR s.ends >= current_date)
            """).compactMap { retentionDays(code: try $0.decode("code", as: String.self)) }.max()
    }

    /// Whether a subscription active today gives `feature` (ivr, recording, international, calls).
    package static func has(_ feature: String, slug: TenantSlug, db: PostgresClient) async throws -> Bool {
        try await !db.query("""
            SELECT 1 FROM \(identifier: slug.schema).subscriptions s JOIN platform.catalogue c ON c.code = s.code
            WHERE \(feature) = ANY (c.features) AND s.starts <= current_date AND (s.ends IS NULL OR s.ends >= current_date) LIMIT 1
            """).isEmpty
    }
}
