import Billing
import Foundation
import Hummingbird
import Pricing
import Runtime
import Tenancy

/// The catalogue, a tenant's subscriptions and entitlements, and its invoices (JSON and a
/// printable HTML page). Operators and the tenant's admins manage subscriptions; only operators
/// issue invoices.
extension API {
    struct NewSubscription: Decodable {
        let code: String
        let quantity: Int?
        let number: String?
        /// First active day, YYYY-MM-DD; today when absent.
        let starts: String?
    }

    struct SubscriptionEnd: Decodable {
        /// The last active (charged) day, YYYY-MM-DD.
        let lastDay: String
    }

    struct PlanChange: Decodable {
        let code: String
        let quantity: Int?
        /// The first day of the new plan, YYYY-MM-DD.
        let from: String
    }

    struct InvoiceRequest: Decodable {
        /// The month, YYYY-MM; it must have ended.
        let period: String
    }

    func billing(_ principal: Principal) throws -> BillingStore { try BillingService.store(context, actor: principal.actor) }

    static func period(_ text: String?) throws -> BillingPeriod {
        guard let text, let period = BillingPeriod(text) else { throw APIError.invalid("period must be a month, YYYY-MM") }
        return period
    }

    func subscriptionID(_ context: ServiceRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameter("subscription")) else { throw APIError.notFound("no such subscription") }
        return id
    }

    func addBillingRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.get("catalogue") { request, _ -> Response in
            try JSON.response(try await billing(try await auth.principal(request)).catalogue())
        }
        v1.get("tenants/:tenant/subscriptions") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            // A tenant has a handful: one page holds them all.
            let subscriptions = try await billing(principal).subscriptions(tenant: tenant)
            return try JSON.response(Page(subscriptions, limit: subscriptions.count) { $0.id.uuidString.lowercased() })
        }
        v1.post("tenants/:tenant/subscriptions") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let new = try await JSON.decode(NewSubscription.self, from: request)
            let starts = new.starts ?? Day.today(in: TimeZone(identifier: "UTC")!).description
            let subscription = try await billing(principal).subscribe(tenant: tenant, code: new.code, quantity: new.quantity ?? 1,
                                                                       number: new.number, starts: starts)
            return try JSON.response(subscription, status: .created)
        }
        v1.post("tenants/:tenant/subscriptions/:subscription/end") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let end = try await JSON.decode(SubscriptionEnd.self, from: request)
            return try JSON.response(try await billing(principal).end(tenant: tenant, subscription: try subscriptionID(context), lastDay: end.lastDay))
        }
        v1.post("tenants/:tenant/subscriptions/:subscription/change") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let change = try await JSON.decode(PlanChange.self, from: request)
            let new = try await billing(principal).change(tenant: tenant, subscription: try subscriptionID(context), to: change.code,
                                                          quantity: change.quantity, from: change.from)
            return try JSON.response(new, status: .created)
        }
        v1.get("tenants/:tenant/entitlements") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            return try JSON.response(try await billing(principal).entitlements(tenant: tenant, on: Day.today(in: TimeZone(identifier: "UTC")!)))
        }
        v1.get("tenants/:tenant/invoices") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let invoices = try await billing(principal).invoices(tenant: tenant)
            return try JSON.response(Page(invoices, limit: invoices.count) { $0.number })
        }
        v1.get("tenants/:tenant/invoices/preview") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let period = try Self.period(request.uri.queryParameters["period"].map(String.init))
            return try JSON.response(try await billing(principal).preview(tenant: tenant, period: period))
        }
        v1.post("tenants/:tenant/invoices") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireOperator(of: $1) }
            let period = try Self.period(try await JSON.decode(InvoiceRequest.self, from: request).period)
            let store = try billing(principal)
            // Issuing is idempotent: the month's invoice, if it exists, is the answer.
            if let issued = try await store.invoice(tenant: tenant, period: period) { return try JSON.response(issued) }
            let invoice = try await store.issue(tenant: tenant, period: period, today: Day.today(in: TimeZone(identifier: "UTC")!))
            return try JSON.response(invoice, status: .created)
        }
        v1.get("tenants/:tenant/invoices/:number") { request, context -> Response in
            let (principal, tenant) = try await tenantRequest(request, context) { try $0.requireAdmin(of: $1) }
            let number = try context.parameter("number")
            if number.hasSuffix(".html") {
                let invoice = try await billing(principal).invoice(tenant: tenant, number: String(number.dropLast(5)))
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: InvoicePage.html(invoice))))
            }
            return try JSON.response(try await billing(principal).invoice(tenant: tenant, number: number))
        }
    }
}

/// The printable invoice: one self-contained HTML page (print it to PDF from the browser).
enum InvoicePage {
    static func html(_ issued: IssuedInvoice) -> String {
        let invoice = issued.invoice
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let rows = invoice.lines.map { line in
            let days = line.activeDays.map { days in "\(days)/\(line.periodDays ?? 0) days" } ?? line.minutesFromBundle.map { "\($0) min from bundle" } ?? ""
            return "<tr><td>\(escape(line.description))</td><td class=n>\(line.quantity)</td><td class=n>\(line.unitPrice.map { "\($0)" } ?? "")</td>"
                + "<td>\(days)</td><td class=n>\(line.amount)</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Invoice \(escape(issued.number))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}
            table{width:100%;border-collapse:collapse}td,th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}
            .n{text-align:right}tfoot td{font-weight:600}</style></head>
            <body><h1>Invoice \(escape(issued.number))</h1>
            <p>\(escape(issued.tenantName)) (\(escape(issued.tenant)))<br>Period \(invoice.period)<br>Issued \(ISO8601DateFormatter().string(from: issued.issuedAt))</p>
            <table><thead><tr><th>Item</th><th class=n>Qty</th><th class=n>Unit price (EUR)</th><th>Active</th><th class=n>Amount (EUR)</th></tr></thead>
            <tbody>
            \(rows)
            </tbody>
            <tfoot><tr><td colspan=4>Subtotal</td><td class=n>\(invoice.subtotal)</td></tr>
            <tr><td colspan=4>VAT \(invoice.vatRate)%</td><td class=n>\(invoice.vat)</td></tr>
            <tr><td colspan=4>Total</td><td class=n>\(invoice.total)</td></tr></tfoot></table>
            <p>Prices exclude VAT. Each line is pro-rated by active days and rounded to cents once (half away from zero).</p>
            </body></html>
            """
    }
}
