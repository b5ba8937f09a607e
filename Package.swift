// swift-tools-version: 6.0
import PackageDescription

/// One settings array for every target (STYLE: Package.swift).
let settings: [SwiftSetting] = [
    // SE-0335: `any` spelled out for existentials.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0409: imports carry access levels; nothing leaks across the walls by accident.
    .enableUpcomingFeature("InternalImportsByDefault"),
    // SE-0444: member lookup only through modules this file imports.
    .enableUpcomingFeature("MemberImportVisibility"),
    // Release builds drop the run-time exclusivity checks: about 25 per HTTP/1.1 request on the
    // loop-confined connection classes, 3 % of its instructions (bench/h1-instructions.sh). Debug
    // builds, and so every test run, keep them.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        .target(name: "CLinux", path: "Sources/CLinux"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CNGHTTP2", path: "Sources/CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .target(name: "SluiceNet", dependencies: ["CLinux", "COpenSSL"], swiftSettings: settings),
        // The one JSON reader and writer, a leaf: HTTP (error bodies), the core (state files, YAML
        // quoting), the backends (model files) and the server (the codecs) all use it. Its API is
        // public and @inlinable, the one exception to "nothing public": Swift 6.3 inlines and
        // specialises @inlinable code in other modules only when it is public (package is not
        // enough, nor -cross-module-optimization), and the codecs read and write every value
        // through it (bench/h1-instructions.sh).
        .target(name: "SluiceJSON", dependencies: ["CKernels"], swiftSettings: settings),
        .target(
            name: "SluiceHTTP", dependencies: ["SluiceNet", "SluiceJSON", "CZlib", "CNGHTTP2"],
            swiftSettings: settings),
        .target(
            name: "SluiceCore", dependencies: ["SluiceJSON", .product(name: "Yams", package: "Yams")],
            swiftSettings: settings),
        // Kernels in C with run-time dispatch to AVX2/FMA and AVX-512 (issue #19); always optimised,
        // since the debug build's tests run them on real models too.
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "SluiceBackends",
            dependencies: [
                "SluiceCore", "SluiceJSON", "COpenBLAS", "CKernels", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            // A tree walk picks each child with a conditional move; LLVM's x86 pass that turns
            // such moves inside loops back into branches guesses wrong on data-driven splits.
            swiftSettings: settings + [.unsafeFlags(["-Xllvm", "-x86-cmov-converter=false"])]),
        .target(
            name: "SluiceServer",
            dependencies: [
                "SluiceNet", "SluiceHTTP", "SluiceJSON", "SluiceCore", "SluiceBackends", "CLinux",
                .product(name: "Logging", package: "swift-log"),
                // The gRPC messages (Protocols/GRPC/Generated, scripts/gen-grpc-proto.sh).
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        // The fuzz targets (issue #14): one entry per parser or loader a client or a model file
        // reaches, shared by the libFuzzer harness and the test that replays the corpus.
        .target(
            name: "SluiceFuzz", dependencies: ["SluiceHTTP", "SluiceCore", "SluiceBackends", "SluiceServer"],
            swiftSettings: settings),
        // scripts/fuzz.sh builds it with --sanitize=fuzzer -DFUZZING (libFuzzer's main); the
        // ordinary build replays files given on its command line.
        .executableTarget(name: "sluice-fuzz", dependencies: ["SluiceFuzz", "CLinux"], swiftSettings: settings),
        .executableTarget(
            name: "sluice-micro", dependencies: ["SluiceServer", "SluiceCore", "SluiceBackends"],
            path: "bench/micro", swiftSettings: settings),
        .testTarget(name: "SluiceNetTests", dependencies: ["SluiceNet"], swiftSettings: settings),
        .testTarget(name: "SluiceJSONTests", dependencies: ["SluiceJSON", "CKernels"], swiftSettings: settings),
        .testTarget(name: "SluiceHTTPTests", dependencies: ["SluiceHTTP"], swiftSettings: settings),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"], swiftSettings: settings),
        .testTarget(
            name: "SluiceBackendsTests",
            dependencies: [
                "SluiceBackends", "SluiceCore", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            resources: [.copy("Fixtures")], swiftSettings: settings),
        // The endpoints through a recording ResponseWriter: no sockets, no event loops.
        .testTarget(
            name: "SluiceEndpointTests",
            dependencies: [
                "SluiceServer", "SluiceHTTP", "SluiceCore", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings),
        .testTarget(name: "SluiceFuzzTests", dependencies: ["SluiceFuzz"], swiftSettings: settings),
        .testTarget(
            name: "SluiceServerTests",
            dependencies: ["SluiceServer", "SluiceCore", "SluiceHTTP", "SluiceJSON", "SluiceNet"],
            swiftSettings: settings),
    ],
    swiftLanguageModes: [.v6]
)
