import Runtime

/// The `recording` service: the media store: recordings, voicemail audio, prompts, retention (DESIGN §2).
package enum RecordingService {
    package static var definition: ServiceDefinition {
        ServiceDefinition(name: "recording", defaultHTTPPort: 8084)
    }
}
