import Foundation
import Logging

/// Logs one JSON object per line to stderr: time, level, service, message and every metadata field
/// (tenant and call ids among them), or readable text for a terminal.
package struct SwitchboardLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level
    let label: String
    let json: Bool

    package init(label: String, level: Logger.Level, json: Bool) {
        self.label = label
        self.logLevel = level
        self.json = json
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        var line: String
        if json {
            var object: [String: String] = [:]
            for (key, value) in merged { object[key] = "\(value)" }
            object["time"] = time
            object["level"] = event.level.rawValue
            object["service"] = label
            object["message"] = event.message.description
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            line = "\(time.dropFirst(11).prefix(12)) \(event.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) \(event.message)"
            if !merged.isEmpty {
                line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
        }
        line += "\n"
        // A closed stderr (the log reader went away) must not take the service down.
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }
}

package enum LoggingSetup {
    /// Installs the handler for the whole process (once).
    package static func bootstrap(level: String, format: String) {
        let level = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            SwitchboardLogHandler(label: label, level: level, json: format == "json")
        }
    }
}
