// swift-tools-version:6.0
// Cubby: a safe AI companion daemon for children's toys on embedded Linux.
// The target graph tells the architecture: C shims at the bottom, one target per concept,
// CubbyRuntime assembling them into services, thin executables on top.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Cubby",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cubbyd", targets: ["cubbyd"]),
        .executable(name: "cubby", targets: ["cubby"]),
        .executable(name: "cubby-pack", targets: ["cubby-pack"]),
        .executable(name: "cubby-sim-cloud", targets: ["cubby-sim-cloud"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
    ],
    targets: [
        // MARK: C libraries, each a thin module map over the system's headers
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(
            name: "CPocketSphinx", pkgConfig: "pocketsphinx",
            providers: [.apt(["libpocketsphinx-dev", "libsphinxbase-dev", "pocketsphinx-en-us"])]),
        .systemLibrary(name: "CEspeakNG", pkgConfig: "espeak-ng", providers: [.apt(["libespeak-ng-dev"])]),
        .systemLibrary(name: "CSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-serial-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CGPIOD", pkgConfig: "libgpiod", providers: [.apt(["libgpiod-dev"])]),

        // MARK: Domain
        .target(
            name: "CubbyCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyAudio",
            dependencies: ["CubbyCore", "CALSA", "COpus", "CSpeexDSP", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        // A TensorFlow Lite flatbuffer reader and an integer interpreter for the few operators streaming
        // wake-word models use: no TensorFlow runtime on the board.
        .target(
            name: "CubbyTinyML",
            dependencies: ["CubbyCore"],
            swiftSettings: swiftSettings),
        // microWakeWord in Swift: its audio front end, bit for bit, and its models on CubbyTinyML.
        .target(
            name: "CubbyMicroWake",
            dependencies: ["CubbyCore", "CubbyTinyML", "CubbyWake"],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyWake",
            dependencies: ["CubbyCore", "CubbyAudio", "CPocketSphinx"],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyVoice",
            dependencies: ["CubbyCore", "CubbyAudio", "CEspeakNG"],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbySafetyModel",
            dependencies: ["CubbyCore", "CBLAS"],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbySafety",
            dependencies: ["CubbyCore", "CubbySafetyModel"],
            resources: [.copy("Rules"), .copy("Classifier")],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyPersona",
            dependencies: ["CubbyCore", "CubbySafety"],
            swiftSettings: swiftSettings),
        // A persona as one signed file: the archive, its manifest of digests, makers' keys, and the
        // device's store of installed packs with atomic install, switch and rollback.
        .target(
            name: "CubbyPersonaPack",
            dependencies: [
                "CubbyMicroWake", "CubbyTinyML",
                "CubbyCore", "CubbyPersona", "CubbySafety", "CubbyAudio", "CubbyWake", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        // The child's soul: profile, memories and the relationship, sealed with a parent's passphrase
        // (scrypt, AES-GCM) so it can move to a new toy.
        .target(
            name: "CubbySoul",
            dependencies: [
                "CubbyCore", "CubbyMemory",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        // The parents' authority over the toy: the PIN (scrypt), its rate limit that survives restarts, and
        // the minor mode's rules (time budgets, quiet hours, reminders) as pure decisions.
        .target(
            name: "CubbyParents",
            dependencies: [
                "CubbyCore", "CubbyMemory", "CubbyConfiguration",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        // The moment the toy is in: story time, bedtime, morning, a learning game, or a scene of the persona's
        // own, each with its instructions to the model, voice and lines; and what a child says to ask for one.
        .target(
            name: "CubbyScenes",
            dependencies: ["CubbyCore", "CubbyPersona", "CubbyMemory"],
            swiftSettings: swiftSettings),
        // Routines and timers on the toy's own clock: schedules read from the store, and a pure planner that
        // says what is due, what was missed (a power cut) and when to look next.
        .target(
            name: "CubbyRoutines",
            dependencies: ["CubbyCore", "CubbyConfiguration", "CubbyMemory"],
            swiftSettings: swiftSettings),
        // The daemon's local control channel: versioned messages and the client `cubby` uses. The server
        // lives in CubbyRuntime, next to what it controls.
        .target(
            name: "CubbyControl",
            dependencies: ["CubbyCore"],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyMemory",
            dependencies: ["CubbyCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        // What cubbyd.toml says, validated, and the settings of each cloud service: plain values, so that
        // `cubby` reads the configuration without linking the runtime, SwiftNIO or TLS.
        .target(
            name: "CubbyConfiguration",
            dependencies: ["CubbyCore", "CubbyAudio", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyCloud",
            dependencies: [
                "CubbyCore", "CubbyAudio", "CubbyConfiguration",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyHardware",
            dependencies: ["CubbyCore", "CubbyAudio", "CGPIOD", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings),
        // The toy's body as behaviour: gestures recognised from raw sensor readings, sensor traces for the
        // simulated board, and the motion limits nothing overrides.
        .target(
            name: "CubbyBody",
            dependencies: ["CubbyCore", "CubbyHardware"],
            swiftSettings: swiftSettings),
        .target(
            name: "CubbyRuntime",
            dependencies: [
                "CubbyCore", "CubbyAudio", "CubbyWake", "CubbyMicroWake", "CubbyVoice", "CubbySafety", "CubbyPersona",
                "CubbyPersonaPack", "CubbyControl", "CubbySoul", "CubbyParents", "CubbyScenes", "CubbyRoutines",
                "CubbyMemory", "CubbyCloud", "CubbyHardware", "CubbyBody", "CubbyConfiguration",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Executables
        .executableTarget(
            name: "cubbyd",
            dependencies: [
                "CubbyRuntime", "CubbyConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cubby",
            dependencies: [
                "CubbyConfiguration", "CubbySafety", "CubbyMemory", "CubbyHardware", "CubbyPersona", "CubbyWake", "CubbyMicroWake", "CubbyAudio",
                "CubbyControl", "CubbyPersonaPack", "CubbyRoutines", "CubbyScenes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Rainbow", package: "Rainbow"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cubby-pack",
            dependencies: [
                "CubbyPersona", "CubbyPersonaPack", "CubbyCore", "CubbySafety", "CubbyWake", "CubbyVoice", "CubbyAudio",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Tests
        .target(
            name: "CubbyTesting",
            dependencies: [
                "CubbyCore", "CubbyAudio", "CubbyWake", "CubbyCloud", "CPocketSphinx",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cubby-sim-cloud",
            dependencies: [
                "CubbyTesting", "CubbyCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        // MARK: Benchmarks (commands that print their figures; see Benchmarks/README.md)
        .executableTarget(
            name: "cubby-bridge-bench",
            dependencies: ["CubbyCore", "CubbyAudio", "CubbyVoice", "CubbySafety", "CubbyPersona", "CubbyMemory", "CubbyCloud", "CubbyRuntime",
                           "CubbyConfiguration",
                           "CubbyTesting", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/bridge/Sources",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cubby-memory-bench",
            dependencies: ["CubbyCore", "CubbyMemory"],
            path: "Benchmarks/memory/Sources",
            swiftSettings: swiftSettings),
        // One test target per library target, run in parallel, so a change to the filter rebuilds and reruns
        // only what depends on it; the whole daemon, its processes and its real-time bounds are the
        // integration target's, run one test at a time (scripts/test).
        .target(
            name: "CubbyTestSupport",
            dependencies: ["CubbyCore", "CubbyAudio", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/Support",
            swiftSettings: swiftSettings),
        .testTarget(name: "CubbyAudioTests", dependencies: ["CubbyAudio", "CubbyCore", "CubbyTestSupport", .product(name: "SystemPackage", package: "swift-system")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CubbyMicroWakeTests", dependencies: ["CubbyMicroWake", "CubbyTinyML", "CubbyWake", "CubbyPersona", "CubbyPersonaPack", "CubbySafety", "CubbyAudio", "CubbyCore", "CubbyTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "CubbyHardwareTests", dependencies: ["CubbyHardware", "CubbyAudio", "CubbyBody", "CubbyCore", "CubbyTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CubbyWakeTests", dependencies: ["CubbyWake", "CubbyAudio", "CubbyCore", "CubbyTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CubbySafetyTests", dependencies: ["CubbySafety", "CubbySafetyModel", "CubbyCore", "CubbyTestSupport"],
                    resources: [.copy("SafetyCases")], swiftSettings: swiftSettings),
        .testTarget(name: "CubbyPersonaTests", dependencies: ["CubbyPersona", "CubbyPersonaPack", "CubbySafety", "CubbyCore", "CubbyTestSupport",
                                                              .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CubbyScenesTests", dependencies: ["CubbyScenes", "CubbyRoutines", "CubbyPersona", "CubbyConfiguration", "CubbyMemory",
                                                            "CubbySafety", "CubbyCore", "CubbyTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CubbyParentsTests", dependencies: ["CubbyParents", "CubbyConfiguration", "CubbyCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CubbyMemoryTests", dependencies: ["CubbyMemory", "CubbySoul", "CubbyParents", "CubbyCore", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "CubbyCloudTests", dependencies: ["CubbyCloud", "CubbyConfiguration", "CubbyAudio", "CubbySafety", "CubbyCore", "CubbyTesting"],
                    swiftSettings: swiftSettings),
        .testTarget(
            name: "CubbyRuntimeTests",
            dependencies: ["CubbyRuntime", "CubbyConfiguration", "CubbyAudio", "CubbyCloud", "CubbyCore", "CubbyMemory", "CubbyPersona", "CubbySafety",
                           "CubbyVoice", "CubbyWake", "CubbyParents", "CubbyScenes", "CubbyRoutines", "CubbyTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CubbyIntegrationTests",
            dependencies: [
                "CubbyCore", "CubbyAudio", "CubbyWake", "CubbyVoice", "CubbySafety", "CubbyPersona",
                "CubbyMemory", "CubbyCloud", "CubbyHardware", "CubbyRuntime", "CubbyTesting", "CubbyTestSupport", "CubbyConfiguration",
                "CubbyPersonaPack", "CubbyControl", "CubbyParents", "CubbyScenes", "CubbyRoutines",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
    ]
)
