import Foundation
import RTMLCore

/// Fixtures for the bundle and registry tests.
enum BundleFixtures {
    /// A bundle with one array of each element type, so tests cover both file layouts.
    static func sample(kind: String = "als", seed: UInt64 = 1, rmse: Double = 0.25) -> ModelBundle {
        var rng = Xoshiro256StarStar(seed: seed)
        let users = (0..<12).map { _ in Float(rng.uniform(-1, 1)) }
        let bias = (0..<5).map { _ in rng.uniform(-3, 3) }
        return ModelBundle(
            kind: kind,
            params: .object([("factors", .int(4)), ("regularization", .double(0.01)), ("features", .array([.string("x"), .string("y")]))]),
            metrics: .object([("rmse", .double(rmse)), ("n_test", .int(1000))]),
            signature: ModelSignature(
                inputs: [.init("x", .double), .init("user_id", .string)],
                outputs: [.init(nil, .double)]
            ),
            trainingWindow: TrainingWindow(from: 1_795_996_800_000, to: 1_796_083_200_000),
            storeId: "6f1c2d3e-0000-4000-8000-000000000001",
            sequenceMapFingerprint: "0123456789abcdef0123456789abcdef",
            model: .object([("intercept", .double(0.5)), ("coefficients", .object([("x", .double(1.25)), ("y", .double(-2))]))]),
            arrays: [
                WeightArray(name: "user_factors", shape: [3, 4], float32: users),
                WeightArray(name: "item_bias", shape: [5], float64: bias),
            ]
        )
    }

    /// Flips one bit of the byte at `offset` in the file at `path`.
    static func flipByte(_ path: String, at offset: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[offset] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    static func write(_ path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }
}
