import Foundation
@testable import RTMLCore

/// Runs a reference script from Tests/python on JSON written by a test.
///
/// Returns nil, after printing `skip: <reason>`, when python3 or the reference
/// library is missing: parity is checked where the tools exist and does not
/// fail elsewhere.
enum PythonParity {
    static let scripts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("python")

    static func run(_ script: String, arguments: [String] = [], input: [String: Any]) throws -> [String: Any]? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputFile = directory.appendingPathComponent("input.json")
        try JSONSerialization.data(withJSONObject: input).write(to: inputFile)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scripts.appendingPathComponent(script).path] + arguments + [inputFile.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            print("skip: cannot start python3: \(error)")
            return nil
        }
        // Read before waiting: the factor arrays exceed the pipe buffer.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            print("skip: python3 not found")
            return nil
        }
        guard process.terminationStatus == 0 else {
            throw ParityError(message: "\(script) exited with \(process.terminationStatus): \(errorText)")
        }
        guard let result = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ParityError(message: "\(script) printed no JSON object")
        }
        if let reason = result["skip"] as? String {
            print("skip: \(reason)")
            return nil
        }
        return result
    }

    struct ParityError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func doubles(_ value: Any?) -> [Double] { (value as? [Any] ?? []).map { ($0 as! NSNumber).doubleValue } }
    static func matrix(_ value: Any?) -> [[Double]] { (value as? [Any] ?? []).map { doubles($0) } }
    static func double(_ value: Any?) -> Double { (value as! NSNumber).doubleValue }
}

/// Test data from the library's own deterministic generator.
struct TestData {
    var rng: Xoshiro256StarStar

    init(seed: UInt64) { rng = Xoshiro256StarStar(seed: seed) }

    mutating func matrix(rows: Int, columns: Int) -> [[Double]] {
        (0..<rows).map { _ in (0..<columns).map { _ in rng.gaussian() } }
    }

    mutating func noise(_ count: Int, scale: Double) -> [Double] {
        (0..<count).map { _ in rng.gaussian() * scale }
    }
}
