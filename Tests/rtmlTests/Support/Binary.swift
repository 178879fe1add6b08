import Foundation
import Testing

/// The built `rtml` binary and a way to run it like a user does.
enum RTML {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `RTML_BIN` when set, else the debug build that `swift test` made.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["RTML_BIN"] { return path }
        return packageRoot.appendingPathComponent(".build/debug/rtml").path
    }()

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        var lines: [String] { stdoutText.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    }

    /// Runs `rtml args...` with `stdin` (empty when nil) in `directory`.
    static func run(_ args: [String], stdin: Data? = nil, in directory: URL? = nil) throws -> Result {
        try shell([binary] + args, stdin: stdin, in: directory)
    }

    /// Runs any program; stdout and stderr are drained concurrently so a big
    /// output cannot deadlock the pipe.
    static func shell(_ argv: [String], stdin: Data? = nil, in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        process.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let directory { process.currentDirectoryURL = directory }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = Box(), err = Box()
        let group = DispatchGroup()
        for (box, pipe) in [(out, output), (err, errors)] {
            group.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
        try? input.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: out.data, stderr: String(decoding: err.data, as: UTF8.self))
    }

    /// Written by one reader thread before `group.leave()`, read after `group.wait()`.
    private final class Box: @unchecked Sendable { var data = Data() }

    /// Runs a bash pipeline (for `| head -1` and friends).
    static func bash(_ script: String, in directory: URL? = nil) throws -> Result {
        try shell(["/bin/bash", "-c", script], in: directory)
    }
}

/// A temporary directory per test, removed afterwards.
final class Workdir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-e2e-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = path(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func writeBytes(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
    }

    func json(_ name: String) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path(name)),
              let value = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return value
    }

    func lines(_ name: String) -> [String] {
        read(name).split(separator: "\n").map(String.init)
    }
}

func parseJSON(_ line: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
}
