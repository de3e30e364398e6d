import Foundation
import Hummingbird
import Runtime
import Tenancy

/// `POST /v1/auth/token` (log in), `DELETE /v1/auth/token` (log out), `GET /v1/me`.
extension API {
    struct Login: Decodable {
        let email: String
        let password: String
        /// The tenant of an admin or user; absent for an operator.
        let tenant: String?
    }

    struct Me: Encodable {
        let role: Principal.Role
        let tenant: String?
        let subject: String
    }

    func addAuthRoutes(to v1: RouterGroup<ServiceRequestContext>) {
        v1.post("auth/token") { request, context -> Response in
            let login = try await JSON.decode(Login.self, from: request)
            guard login.password.unicodeScalars.count <= 200, login.email.unicodeScalars.count <= 254 else { throw APIError.invalid("email or password is too long") }
            let source = context.clientAddress
            try throttle.check(email: login.email, source: source)
            if let tenant = login.tenant {
                guard let user = try await provisioning.authenticateUser(tenant: tenant, email: login.email, password: login.password) else {
                    throttle.failed(email: login.email, source: source)
                    throw APIError.unauthenticated("wrong e-mail, password or tenant")
                }
                throttle.succeeded(email: login.email)
                let role: Principal.Role = user.role == "admin" ? .admin : .user
                return try JSON.response(try await auth.issue(role: role, tenant: tenant, subject: user.extension_), status: .created)
            }
            guard let email = try await provisioning.authenticateOperator(email: login.email, password: login.password) else {
                throttle.failed(email: login.email, source: source)
                throw APIError.unauthenticated("wrong e-mail or password")
            }
            throttle.succeeded(email: login.email)
            return try JSON.response(try await auth.issue(role: .operator, tenant: nil, subject: email), status: .created)
        }
        v1.delete("auth/token") { request, _ -> Response in
            try await auth.revoke(try await auth.principal(request))
            return JSON.noContent()
        }
        v1.get("me") { request, _ -> Response in
            let principal = try await auth.principal(request)
            return try JSON.response(Me(role: principal.role, tenant: principal.tenant, subject: principal.subject))
        }
    }
}
