import Foundation

/// A tenant was provisioned: its schema exists and is migrated.
package struct TenantCreated: EventPayload, Equatable {
    package static let type = "tenant.created"
    package static let topic = Topic.tenantLifecycle
    package static let summary = "A tenant was provisioned; its schema exists and is migrated."
    package static let example = TenantCreated(slug: "demo", name: "Demo OÜ", sipDomain: "demo.localhost",
                                               timeZone: "Europe/Tallinn")
    package var slug: String
    package var name: String
    package var sipDomain: String
    package var timeZone: String

    package init(slug: String, name: String, sipDomain: String, timeZone: String) {
        self.slug = slug
        self.name = name
        self.sipDomain = sipDomain
        self.timeZone = timeZone
    }
}

/// A tenant changed status (suspended, reactivated, terminating, terminated).
package struct TenantStatusChanged: EventPayload, Equatable {
    package static let type = "tenant.status-changed"
    package static let topic = Topic.tenantLifecycle
    package static let summary = """
        A tenant's status changed: active, suspended; at contract end terminating (notice period), terminated (data export \
        window), deleted (schema dropped: services drop what they keep of the tenant, recording deletes its media).
        """
    package static let example = TenantStatusChanged(slug: "demo", status: .terminating, previousStatus: .active,
                                                     noticeEnds: "2026-12-31", exportEnds: "2027-01-30")
    package var slug: String
    package var status: TenantStatus
    package var previousStatus: TenantStatus
    /// Set from termination on: the last day of service.
    package var noticeEnds: String?
    /// Set from termination on: the last day the data can be exported.
    package var exportEnds: String?

    package init(slug: String, status: TenantStatus, previousStatus: TenantStatus, noticeEnds: String? = nil, exportEnds: String? = nil) {
        self.slug = slug
        self.status = status
        self.previousStatus = previousStatus
        self.noticeEnds = noticeEnds
        self.exportEnds = exportEnds
    }
}

/// Configuration of a tenant changed; services drop what they cached of it.
package struct ConfigChanged: EventPayload, Equatable {
    package static let type = "config.changed"
    package static let topic = Topic.configChanges
    package static let summary = "Configuration of a tenant changed; services drop what they cached of that entity."
    package static let example = ConfigChanged(entity: "user", key: "1001", action: "created")
    /// tenant, user, device, number, group, schedule, ...
    package var entity: String
    /// The entity's natural key within the tenant (extension, E.164 number, group name, ...).
    package var key: String
    /// created, updated or deleted.
    package var action: String

    package init(entity: String, key: String, action: String) {
        self.entity = entity
        self.key = key
        self.action = action
    }
}

/// The features and limits a tenant may use, derived from its subscriptions.
package struct EntitlementsChanged: EventPayload, Equatable {
    package static let type = "billing.entitlements-changed"
    package static let topic = Topic.billingEntitlements
    package static let summary = "The features and limits a tenant may use, derived from its subscriptions active today."
    package static let example = EntitlementsChanged(features: ["calls", "ivr", "recording"], maxConcurrentCalls: nil,
                                                     recordingRetentionDays: ["+3726001000": 60], internationalMinutes: 200)
    /// calls, ivr, recording, international.
    package var features: [String]
    package var maxConcurrentCalls: Int?
    /// Days recordings of each number are kept, from its recording add-on.
    package var recordingRetentionDays: [String: Int]
    /// International minutes a month from bundles.
    package var internationalMinutes: Int

    package init(features: [String], maxConcurrentCalls: Int?, recordingRetentionDays: [String: Int] = [:], internationalMinutes: Int = 0) {
        self.features = features
        self.maxConcurrentCalls = maxConcurrentCalls
        self.recordingRetentionDays = recordingRetentionDays
        self.internationalMinutes = internationalMinutes
    }
}
