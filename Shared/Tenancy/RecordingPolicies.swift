import Events
import Postgres

/// A number's recording policy as the API shows it: what is recorded while the number has a
/// recording add-on, and for how long (the add-on's retention; nil: no add-on, nothing recorded).
package struct NumberRecordingPolicy: Codable, Sendable, Equatable {
    package var number: String
    package var policy: RecordingPolicy
    package var notice: Bool
    package var retentionDays: Int?

    package init(number: String, policy: RecordingPolicy, notice: Bool, retentionDays: Int?) {
        self.number = number
        self.policy = policy
        self.notice = notice
        self.retentionDays = retentionDays
    }
}

/// A user's: nil values follow the number's policy; `visible` lets the user list and hear their
/// own recordings.
package struct UserRecordingPolicy: Codable, Sendable, Equatable {
    /// What a change may set; `visible` defaults to false.
    package struct Change: Decodable, Sendable {
        package var policy: RecordingPolicy?
        package var notice: Bool?
        package var visible: Bool?
    }

    package var `extension`: String
    package var policy: RecordingPolicy?
    package var notice: Bool?
    package var visible: Bool

    package init(extension: String, policy: RecordingPolicy?, notice: Bool?, visible: Bool) {
        self.extension = `extension`
        self.policy = policy
        self.notice = notice
        self.visible = visible
    }
}

/// Recording policies per number and per user (DESIGN §7). Routing reads them for every call; a
/// change applies to calls that start after it.
extension DialplanConfiguration {
    package func numberRecordingPolicies(tenant: String) async throws -> [NumberRecordingPolicy] {
        let slug = try TenantSlug(tenant)
        var policies: [NumberRecordingPolicy] = []
        for row in try await db.query("SELECT e164, recording, recording_notice FROM \(identifier: slug.schema).numbers ORDER BY e164") {
            let number: String = try row.decode("e164")
            policies.append(NumberRecordingPolicy(number: number, policy: RecordingPolicy(rawValue: try row.decode("recording")) ?? .both,
                                                  notice: try row.decode("recording_notice"),
                                                  retentionDays: try await Entitlements.recordingRetentionDays(number: number, slug: slug, db: db)))
        }
        return policies
    }

    package func setNumberRecordingPolicy(tenant: String, number: String, policy: RecordingPolicy, notice: Bool) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "number-recording", key: number, action: "updated") { connection in
            guard try await !connection.query("""
                UPDATE \(identifier: slug.schema).numbers SET recording = \(policy.rawValue), recording_notice = \(notice)
                WHERE e164 = \(number) RETURNING e164
                """).isEmpty else { throw TenancyError.notFound("tenant \(slug) has no number \(number)") }
        }
    }

    package func userRecordingPolicy(tenant: String, extension ext: String) async throws -> UserRecordingPolicy {
        let slug = try TenantSlug(tenant)
        guard let row = try await db.query("""
            SELECT recording, recording_notice, recordings_visible FROM \(identifier: slug.schema).users WHERE extension = \(ext)
            """).first else { throw TenancyError.notFound("no user \(ext)") }
        return UserRecordingPolicy(extension: ext, policy: try row.decode("recording", as: String?.self).flatMap(RecordingPolicy.init),
                                   notice: try row.decode("recording_notice"), visible: try row.decode("recordings_visible"))
    }

    package func setUserRecordingPolicy(tenant: String, _ policy: UserRecordingPolicy) async throws {
        let slug = try TenantSlug(tenant)
        try await change(slug, entity: "user-recording", key: policy.extension, action: "updated") { connection in
            guard try await !connection.query("""
                UPDATE \(identifier: slug.schema).users SET recording = \(policy.policy?.rawValue), recording_notice = \(policy.notice),
                    recordings_visible = \(policy.visible), updated_at = now()
                WHERE extension = \(policy.extension) RETURNING id
                """).isEmpty else { throw TenancyError.notFound("no user \(policy.extension)") }
        }
    }
}
