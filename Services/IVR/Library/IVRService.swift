import Runtime

/// The `ivr` service: call applications: IVR menus, voicemail, announcements (DESIGN §2).
package enum IVRService {
    package static var definition: ServiceDefinition {
        ServiceDefinition(name: "ivr", defaultHTTPPort: 8083)
    }
}
