import Events
import MediaClient
import Messaging
import Runtime

/// The `ivr` service: call applications (DESIGN §2, §6): announcements, IVR menus, voicemail
/// (leaving and listening). A consumer group on `call.events`, keyed by call id, so each call's events
/// reach one instance in order.
package enum IVRService {
    package static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "ivr", defaultHTTPPort: 8083)
        definition.services = { context in
            let configuration = context.configuration
            let media = MediaStoreClient(baseURL: configuration.recordingURL, token: configuration.internalToken, client: context.httpClient)
            let driver = ApplicationDriver(db: context.db, outbox: context.outbox, publisher: context.publisher, media: media)
            // On the call path: a caller waits for each step, so the short fetch wait.
            return [GroupConsumer(context: context, group: "ivr", topic: .callEvents, pace: .application, handle: driver.handle)]
        }
        return definition
    }
}
