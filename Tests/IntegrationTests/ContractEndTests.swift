import Events
import Foundation
import Kafka
import Messaging
import Postgres
import Pricing
import Tenancy
import Testing
import TestSupport

@Suite("contract end: notice period, export window, deletion", .serialized, .timeLimit(.minutes(3)))
struct ContractEndTests {
    @Test("terminating a tenant gives notice (subscriptions end on the last day), then a data-export window, then its schema is dropped, numbers released and tokens revoked; invoices stay; each step a tenant.lifecycle event")
    func terminationToDeletion() async throws {
        let stack = try await APIStack.start()
        defer { _ = stack.api.stop() }
        let tenant = try await stack.tenant("bye")
        let path = "/v1/tenants/\(tenant.slug)"
        let did = "+3726" + String(Int.random(in: 1_000_000...9_999_999))
        #expect(try await stack.call("POST", "\(path)/numbers", as: stack.operatorToken, #"{"number":"\#(did)"}"#).status == 201)
        #expect(try await stack.call("POST", "\(path)/subscriptions", as: tenant.admin, #"{"code":"call-sharing","quantity":2,"starts":"2026-10-01"}"#).status == 201)
        let october = try await stack.call("POST", "\(path)/invoices", as: stack.operatorToken, #"{"period":"2026-10"}"#)
        #expect(october.status == 201)
        let octoberNumber = try #require(october.body["number"] as? String)

        // The contract's notice is 30 days: the admin cannot shorten it, the operator can (10 days of service).
        let today = Day.today(in: TimeZone(identifier: "UTC")!)
        #expect(try await stack.call("POST", "\(path)/terminate", as: tenant.admin, #"{"noticeDays":10}"#).status == 403)
        let terminated = try await stack.call("POST", "\(path)/terminate", as: stack.operatorToken, #"{"noticeDays":10}"#)
        #expect(terminated.status == 200, "\(terminated.text)")
        let lastDay = today.adding(days: 10)
        #expect(terminated.body["status"] as? String == "terminating" && terminated.body["noticeEnds"] as? String == lastDay.description)
        let exportEndsText = try #require(terminated.body["exportEnds"] as? String)
        let exportEnds = try #require(Day(exportEndsText))
        let subscriptions = try await stack.call("GET", "\(path)/subscriptions", as: tenant.admin)
        let ends = (subscriptions.body["items"] as? [[String: Any]])?.first?["ends"] as? String
        #expect(ends == lastDay.description, "\(subscriptions.text)")
        #expect(try await stack.call("POST", "\(path)/terminate", as: tenant.admin, "{}").status == 409, "already terminating")

        let publisher = EventPublisher(producer: try KafkaProducer(configuration: TestEnvironment.kafka(), logger: TestEnvironment.logger),
                                       topicPrefix: stack.prefix)
        let lifecycle = TenantLifecycle(db: stack.db, publisher: publisher, logger: TestEnvironment.logger)
        // During the notice period nothing moves; the day after, service ends and the export window opens.
        #expect(try await lifecycle.advance(today: lastDay, only: tenant.slug).allSatisfy { $0.tenant != tenant.slug })
        #expect(try await lifecycle.advance(today: lastDay.next, only: tenant.slug).contains { $0.tenant == tenant.slug && $0.status == .terminated })
        let export = try await httpRequest("GET", "\(stack.base)\(path)/export", token: tenant.admin)
        #expect(export.status == 200, "\(export.body)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(export.body.utf8)) as? [String: Any])
        // The invoice issued above is in it (billing's own monthly run may have issued a later month too).
        let exported = (document["invoices"] as? [[String: Any]])?.compactMap { $0["number"] as? String } ?? []
        #expect((document["users"] as? [[String: Any]])?.count == 2 && exported.contains(octoberNumber), "\(exported)")
        #expect(!export.body.contains("ha1") && !export.body.contains("pbkdf2") && !export.body.contains("pin_hash"), "no credentials in the export")
        #expect(document["call_recordings"] is [Any] && document["voicemail_messages"] is [Any] && (document["voicemail_boxes"] as? [Any])?.count == 2,
                "what the media is comes too (the audio in the media export)")

        // After the export window the tenant is deleted.
        #expect(try await lifecycle.advance(today: exportEnds.next, only: tenant.slug).contains { $0.tenant == tenant.slug && $0.status == .deleted })
        let schema = try await stack.db.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = \("tenant_" + tenant.slug)")
        #expect(schema.isEmpty, "the tenant schema is dropped")
        #expect(try await stack.db.query("SELECT 1 FROM platform.numbers WHERE e164 = \(did)").isEmpty, "its number is free again")
        #expect(try await !stack.db.query("SELECT 1 FROM platform.invoices WHERE tenant = \(tenant.slug)").isEmpty, "invoices are kept")
        #expect(try await stack.call("GET", path, as: tenant.admin).status == 401, "its tokens are revoked")
        #expect(try await stack.call("GET", path, as: stack.operatorToken).status == 404)

        let events = try await BillingTests.read(TenantStatusChanged.self, prefix: stack.prefix, tenant: tenant.slug) { $0.count >= 3 }
        #expect(events.map(\.status) == [.terminating, .terminated, .deleted], "\(events)")
        await stack.close()
    }
}
