import CLinux
import Glibc
import SluiceFuzz

#if FUZZING
// Built by scripts/fuzz.sh with `--sanitize=fuzzer -DFUZZING`: libFuzzer provides `main` and
// calls these two. The target comes from SLUICE_FUZZ_TARGET, so one build serves every target.

/// The target this process fuzzes, read once.
private let selected: FuzzTarget? = getenv("SLUICE_FUZZ_TARGET").flatMap { FuzzTarget(rawValue: String(cString: $0)) }

@_cdecl("LLVMFuzzerInitialize")
func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    guard selected != nil else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fputs("sluice-fuzz: set SLUICE_FUZZ_TARGET to one of: \(names)\n", clinux_stderr())
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected?.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
/// Without libFuzzer (the ordinary build): replays the files given, e.g. a crash a fuzzer
/// reported, under a debugger or another sanitizer. `sluice-fuzz <target> <file>...`
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            fputs("usage: sluice-fuzz \(names) FILE...\n", clinux_stderr())
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let bytes = FuzzInput.read(path) else {
                fputs("sluice-fuzz: cannot read \(path)\n", clinux_stderr())
                exit(1)
            }
            target.run(bytes)
            print("\(path): ok")
        }
    }
}
#endif
