// swift-tools-version:6.1
import PackageDescription

// One package: shared libraries under Shared/, each service as a library plus a thin executable
// under Services/, tests under Tests/. Every target names its path.

let serviceDeps: [Target.Dependency] = ["Runtime", "Kafka", "Postgres", "Events", "Messaging", "Tenancy"]

func service(_ name: String, executable: String, extra: [Target.Dependency] = []) -> [Target] {
    [
        .target(name: name, dependencies: serviceDeps + extra, path: "Services/\(name)/Library"),
        .executableTarget(name: executable, dependencies: [.target(name: name), "Runtime"],
                          path: "Services/\(name)/Main"),
    ]
}

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sip-edge", targets: ["sip-edge"]),
        .executable(name: "routing", targets: ["routing"]),
        .executable(name: "ivr", targets: ["ivr"]),
        .executable(name: "recording", targets: ["recording"]),
        .executable(name: "billing", targets: ["billing"]),
        .executable(name: "api", targets: ["api"]),
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "kafka-bench", targets: ["kafka-bench"]),
        .executable(name: "fuzz", targets: ["fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // C libraries, found through pkg-config.
        .systemLibrary(name: "CRdKafka", path: "Shared/CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpus", path: "Shared/COpus", pkgConfig: "opus",
                       providers: [.apt(["libopus-dev"])]),

        .target(name: "Kafka", dependencies: [
            "CRdKafka",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Shared/Kafka"),
        .target(name: "Postgres", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Shared/Postgres"),
        .target(name: "Events", dependencies: [], path: "Shared/Events"),
        .target(name: "SIP", dependencies: [
            "Media",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Shared/SIP"),
        .target(name: "Media", dependencies: [], path: "Shared/Media"),
        .target(name: "Pricing", dependencies: ["Events"], path: "Shared/Pricing"),
        .target(name: "Messaging", dependencies: [
            "Kafka", "Events", "Postgres",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ], path: "Shared/Messaging"),
        .target(name: "Tenancy", dependencies: [
            "Postgres", "Messaging", "Events", "Pricing",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Shared/Tenancy"),
        .target(name: "Runtime", dependencies: [
            "Kafka", "Postgres", "Events", "Messaging",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], path: "Shared/Runtime"),

        // recording's internal HTTP as the other services reach it.
        .target(name: "MediaClient", dependencies: [
            "Runtime", "Tenancy",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Shared/MediaClient"),

        .executableTarget(name: "switchboard", dependencies: [
            "Runtime", "Kafka", "Postgres", "Events", "Messaging", "Tenancy", "Pricing", "API", "MediaClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Tools/switchboard"),
        .executableTarget(name: "kafka-bench", dependencies: ["Kafka", "Runtime", "Events", "Messaging"], path: "Tools/kafka-bench"),

        // Fuzzing (Fuzz/README.md): the targets, and the driver `make fuzz` builds with libFuzzer.
        .target(name: "FuzzTargets", dependencies: ["SIP", "Media", .product(name: "NIOCore", package: "swift-nio")],
                path: "Fuzz/Targets"),
        .executableTarget(name: "fuzz", dependencies: ["FuzzTargets"], path: "Fuzz/Driver"),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets", "SIP"], path: "Tests/FuzzTests"),

        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TestSupport", .product(name: "Logging", package: "swift-log")], path: "Tests/KafkaTests"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"], path: "Tests/PostgresTests"),
        .testTarget(name: "RoutingTests", dependencies: [
            "Routing", "Events", "Tenancy", "Messaging", "Kafka", "Postgres", "TestSupport",
        ], path: "Tests/RoutingTests"),
        .testTarget(name: "IVRTests", dependencies: ["IVR", "Events", "Tenancy"], path: "Tests/IVRTests"),
        .testTarget(name: "MediaTests", dependencies: ["Media"], path: "Tests/MediaTests"),
        .testTarget(name: "PricingTests", dependencies: ["Pricing", "Events"], path: "Tests/PricingTests"),
        .testTarget(name: "SIPTests", dependencies: [
            "SIP", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOTestUtils", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], path: "Tests/SIPTests", exclude: ["Fixtures"]),
        .testTarget(name: "SipEdgeTests", dependencies: [
            "SipEdge", "SIP", "TestSupport", "Tenancy", "Messaging", "Kafka", "Postgres", "Events", "Media",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Tests/SipEdgeTests"),
        .testTarget(name: "EventsTests", dependencies: ["Events", "Messaging"], path: "Tests/EventsTests"),
        .testTarget(name: "TenancyTests", dependencies: ["Tenancy", "TestSupport"], path: "Tests/TenancyTests"),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "TestSupport"], path: "Tests/RuntimeTests"),
        .testTarget(name: "IntegrationTests", dependencies: [
            "Runtime", "Tenancy", "Messaging", "Kafka", "Postgres", "Events", "Pricing", "Media", "Recording", "API", "TestSupport",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Tests/IntegrationTests"),
        .testTarget(name: "RecordingTests", dependencies: [
            "Recording", "Runtime", "Media", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
        ], path: "Tests/RecordingTests"),
        .target(name: "TestSupport", dependencies: [
            "Kafka", "Postgres", "Media", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/TestSupport"),
    ]
        + service("SipEdge", executable: "sip-edge", extra: [
            "SIP", "Media",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ])
        + service("Routing", executable: "routing", extra: [
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ])
        + service("IVR", executable: "ivr", extra: [
            "MediaClient",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ])
        + service("Recording", executable: "recording", extra: [
            "Media", "COpus",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
        ])
        + service("Billing", executable: "billing", extra: [
            "Pricing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ])
        + service("API", executable: "api", extra: [
            "Pricing", "Billing", "MediaClient",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    swiftLanguageModes: [.v6]
)
