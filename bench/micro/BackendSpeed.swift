import Foundation
import SluiceBackends
import SluiceCore
import SluiceServer

/// `sluice-micro backend-speed KIND MODEL ROWS SHAPE BATCHES REPS [THREADS]`: times one
/// backend's `infer` alone (no HTTP, no JSON, no scheduling), for bench/backend_speed.py, which
/// times the reference library on the same rows and prints the comparison. THREADS above 1
/// (bench/threads.py) runs each call as that many slices of rows at once, as a version with
/// `threads_per_inference` does (`IntraOpPool`, THREADS − 1 helper threads).
///
/// KIND is xgboost | lightgbm | onnx; ROWS a file of little-endian Float32 values, row-major;
/// SHAPE the input shape without the batch dimension (`20`, `1x8x8`); BATCHES and REPS
/// comma-separated row counts and how many timed calls each gets (after a warm-up). Prints one
/// `RESULT batch=N median_ns=… min_ns=… p90_ns=… input_sum=…` line per batch size, or
/// `SKIP reason` when this build cannot load the model, and exits 0 in both cases.
enum BackendSpeed {
    static func run(_ arguments: [String]) throws {
        let names = Backends.standard.names
        guard arguments.count == 6 || arguments.count == 7, names.contains(arguments[0]) else {
            print("usage: sluice-micro backend-speed \(names.joined(separator: "|")) MODEL ROWS SHAPE BATCHES REPS [THREADS]")
            exit(2)
        }
        let shape = arguments[3].split(separator: "x").compactMap { Int($0) }
        let batches = arguments[4].split(separator: ",").compactMap { Int($0) }
        let reps = arguments[5].split(separator: ",").compactMap { Int($0) }
        let threads = arguments.count == 7 ? Int(arguments[6]) ?? 0 : 1
        guard !shape.isEmpty, batches.count == reps.count, (1...64).contains(threads) else {
            print("SHAPE, BATCHES, REPS or THREADS malformed")
            exit(2)
        }
        let backend: any Backend
        do {
            backend = try Backends.standard.load(BackendLoadRequest(file: arguments[1], backend: arguments[0]))
        } catch {
            print("SKIP \(error)")
            return
        }
        let slices = IntraOpPool(sliceAboveNanos: 0, helpers: threads - 1)
        let rows = try readFloats(arguments[2])
        let width = shape.reduce(1, *)
        let name = backend.inputs[0].name
        for (batch, count) in zip(batches, reps) {
            guard batch * width <= rows.count else {
                print("ROWS holds \(rows.count / width) rows, fewer than \(batch)")
                exit(2)
            }
            let slice = Array(rows[0..<(batch * width)])
            let input = [try Tensor(name: name, shape: [batch] + shape, data: .fp32(slice))]
            let infer = { () throws(ServingError) in
                _ = threads > 1 ? try slices.infer(input, slices: threads, on: backend) : try backend.infer(input)
            }
            for _ in 0..<max(3, count / 10) { try infer() }
            var samples = [UInt64](repeating: 0, count: count)
            for i in 0..<count {
                let start = DispatchTime.now().uptimeNanoseconds
                try infer()
                samples[i] = DispatchTime.now().uptimeNanoseconds - start
            }
            samples.sort()
            let sum = slice.reduce(0.0) { $0 + ($1.isNaN ? 0 : Double($1)) }
            print("RESULT batch=\(batch) median_ns=\(samples[count / 2]) min_ns=\(samples[0]) "
                + "p90_ns=\(samples[count * 9 / 10]) input_sum=\(String(format: "%.3f", sum))")
        }
    }

    private static func readFloats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
