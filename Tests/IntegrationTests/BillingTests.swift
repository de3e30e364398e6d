import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Tenancy
import Testing
import TestSupport

@Suite("billing: subscriptions, rated call history and invoices through the API and the billing service", .serialized,
       .timeLimit(.minutes(3)))
struct BillingTests {
    @Test("a partial month invoiced: a plan from the 17th, a full-month add-on and an international call (its CDR delivered twice), matched against a hand computation; numbers without gaps; an issued invoice never changes; entitlements published")
    func partialMonthInvoice() async throws {
        let fixture = try await APIStack.start()
        defer { _ = fixture.api.stop() }
        let billingPort = try freePort()
        let billing = try ServiceProcess("billing", environment: serviceEnvironment(prefix: fixture.prefix, port: billingPort))
        defer { _ = billing.stop() }
        let ready = await eventually(timeout: .seconds(40)) { (try? await httpGet("http://127.0.0.1:\(billingPort)/health/ready").status) == 200 }
        try #require(ready, "billing did not start:\n\(billing.log)")
        let tenant = try await fixture.tenant("bill")
        let path = "/v1/tenants/\(tenant.slug)"

        let plan = try await fixture.call("POST", "\(path)/subscriptions", as: tenant.admin,
                                    #"{"code":"mobile-unlimited","quantity":3,"starts":"2026-10-17"}"#)
        #expect(plan.status == 201 && plan.body["monthlyPrice"] as? String == "7.00", "\(plan.text)")
        #expect(try await fixture.call("POST", "\(path)/subscriptions", as: tenant.admin, #"{"code":"ivr","starts":"2026-10-01"}"#).status == 201)
        #expect(try await fixture.call("POST", "\(path)/subscriptions", as: tenant.admin, #"{"code":"no-such-plan"}"#).status == 400)

        // The entitlements follow the subscriptions: billing publishes them on the change.
        let entitlements = try await Self.read(EntitlementsChanged.self, prefix: fixture.prefix, tenant: tenant.slug) {
            $0.contains { $0.features.contains("ivr") }
        }
        #expect(entitlements.last?.features.contains("ivr") == true, "\(entitlements)")

        // One international call of 125 s on 2026-10-20, its CDR delivered twice: rated once.
        let producer = try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger)
        let publisher = EventPublisher(producer: producer, topicPrefix: fixture.prefix)
        let start = try #require(ISO8601DateFormatter().date(from: "2026-10-20T10:00:00Z"))
        let cdr = CallRecord(from: "+3726001000", to: "+12125550100", direction: .outbound, classification: .business, start: start,
                             answer: start.addingTimeInterval(5), end: start.addingTimeInterval(130), billableSeconds: 125, cause: "normal")
        for _ in 0..<2 { try await publisher.publish(Envelope(tenant: tenant.slug, callId: "0-intl-\(tenant.slug)", data: cdr)) }
        let stored = await eventually(timeout: .seconds(20)) {
            (try? await fixture.db.query("SELECT count(*)::int AS n FROM \(identifier: try TenantSlug(tenant.slug).schema).calls")
                .first?.decode("n", as: Int.self)) == 1
        }
        #expect(stored, "the CDR is in the call history once: \(billing.log.suffix(1500))")
        try await Task.sleep(for: .milliseconds(500))

        // By hand, October 2026 has 31 days:
        //   mobile-unlimited 3 users × 7.00 × 15 days (17th–31st) / 31 = 315 / 31 = 10.1613 → 10.16
        //   IVR 12.00 × 31/31                                                              = 12.00
        //   international, business: 125 s → 3 min × 0.0523 (+1) = 0.1569, no bundle     →  0.16
        //   subtotal 22.32; VAT 24 % = 5.3568 → 5.36; total 27.68
        let issued = try await fixture.call("POST", "\(path)/invoices", as: fixture.operatorToken, #"{"period":"2026-10"}"#)
        #expect(issued.status == 201, "\(issued.text)")
        let invoice = try #require(issued.body["invoice"] as? [String: Any])
        let amounts = (invoice["lines"] as? [[String: Any]])?.compactMap { $0["amount"] as? String }.sorted()
        #expect(amounts == ["0.16", "10.16", "12.00"], "\(issued.text)")
        #expect(invoice["subtotal"] as? String == "22.32")
        #expect(invoice["vat"] as? String == "5.36")
        #expect(invoice["total"] as? String == "27.68")
        let number = try #require(issued.body["number"] as? String)

        // Issuing again gives the same invoice; a month that has not ended cannot be issued; admins cannot issue.
        #expect(try await fixture.call("POST", "\(path)/invoices", as: fixture.operatorToken, #"{"period":"2026-10"}"#).body["number"] as? String == number)
        #expect(try await fixture.call("POST", "\(path)/invoices", as: fixture.operatorToken, #"{"period":"2099-01"}"#).status == 400)
        #expect(try await fixture.call("POST", "\(path)/invoices", as: tenant.admin, #"{"period":"2026-10"}"#).status == 403)
        // A plan change mid-month splits the month. By hand, September 2026 has 30 days:
        //   call-sharing 2 users × 2.00 × 15 days (1st–15th) / 30 = 2.00
        //   mobile-unlimited 2 users × 7.00 × 15 days (16th–30th) / 30 = 7.00
        //   subtotal 9.00; VAT 24 % = 2.16; total 11.16
        let other = try await fixture.tenant("bill2")
        let first = try await fixture.call("POST", "/v1/tenants/\(other.slug)/subscriptions", as: other.admin,
                                     #"{"code":"call-sharing","quantity":2,"starts":"2026-09-01"}"#)
        let firstID = try #require(first.body["id"] as? String)
        let changed = try await fixture.call("POST", "/v1/tenants/\(other.slug)/subscriptions/\(firstID)/change", as: other.admin,
                                       #"{"code":"mobile-unlimited","from":"2026-09-16"}"#)
        #expect(changed.status == 201 && changed.body["quantity"] as? Int == 2, "\(changed.text)")
        // The next invoice of any tenant takes the next number.
        let next = try await fixture.call("POST", "/v1/tenants/\(other.slug)/invoices", as: fixture.operatorToken, #"{"period":"2026-09"}"#)
        let split = try #require(next.body["invoice"] as? [String: Any])
        #expect((split["lines"] as? [[String: Any]])?.compactMap { $0["amount"] as? String } == ["2.00", "7.00"], "\(next.text)")
        #expect(split["total"] as? String == "11.16")
        // A subscription keeps the price it was sold at, whatever the catalogue says later.
        try await fixture.db.query("""
            UPDATE \(identifier: try TenantSlug(other.slug).schema).subscriptions SET monthly_price = 1.00 WHERE code = 'call-sharing'
            """)
        let repriced = try await fixture.call("GET", "/v1/tenants/\(other.slug)/invoices/preview?period=2026-09", as: other.admin)
        #expect((repriced.body["lines"] as? [[String: Any]])?.first?["amount"] as? String == "1.00", "\(repriced.text)")
        let sequence = { (text: String) in Int(text.dropFirst(3)) ?? -1 }
        #expect(sequence(try #require(next.body["number"] as? String)) > sequence(number))
        // An issued invoice never changes, not even by SQL.
        await #expect(throws: PostgresError.self) {
            try await fixture.db.query("UPDATE platform.invoices SET total = 0 WHERE number = \(number)")
        }
        let page = try await httpRequest("GET", "\(fixture.base)\(path)/invoices/\(number).html", token: tenant.admin)
        #expect(page.status == 200 && page.body.contains("27.68") && page.body.contains("Invoice \(number)"))
        #expect(try await fixture.call("GET", "\(path)/invoices/\(number)", as: other.admin).status == 404, "another tenant's invoice")
        await fixture.close()
    }

    static func read<P: EventPayload>(_ type: P.Type, prefix: String, tenant: String, until done: ([P]) -> Bool) async throws -> [P] {
        let consumer = try KafkaConsumer(configuration: TestEnvironment.kafka(), subscription: .assigned(
            groupID: TestEnvironment.unique("read"),
            partitions: (0..<P.topic.partitions).map { TopicPartitionOffset(topic: P.topic.name(prefix: prefix), partition: $0, offset: TopicPartitionOffset.beginning) }),
                                         logger: TestEnvironment.logger)
        defer { Task { await consumer.close() } }
        var found: [P] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline, !done(found) {
            guard let message = try await consumer.poll(timeoutMilliseconds: 200), let bytes = message.value,
                  let header = try? EnvelopeHeader.decode(bytes), header.type == P.type, header.tenant == tenant else { continue }
            found.append(try header.decode(bytes, as: P.self).data)
        }
        return found
    }
}
