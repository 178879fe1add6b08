import Foundation

/// What a run of the built `rtml` binary produced.
struct CommandResult {
    var stdout: Data
    var stderr: String
    var status: Int32
}

/// Runs the built binary end to end, the way a user does.
enum RunCommand {
    /// `RTML_BIN`, else `<package root>/.build/debug/rtml` (root found from this file's path).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["RTML_BIN"] { return URL(fileURLWithPath: path) }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }  // Support, rtmlTests, Tests, then the file
        return root.appendingPathComponent(".build/debug/rtml")
    }

    /// Runs `rtml args...`, feeding `stdin` when given, in `directory`.
    static func run(_ args: [String], stdin: Data? = nil, in directory: URL? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        }
        // Drain both pipes concurrently so neither fills up and blocks the child.
        let errData = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(stdout: outData, stderr: String(decoding: errData.data, as: UTF8.self), status: process.terminationStatus)
    }

    /// Written by one thread before `group.leave()`, read after `group.wait()`.
    private final class Box: @unchecked Sendable { var data = Data() }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rtml-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs any program (for `gzip -dc` and the like) and returns its stdout.
    static func tool(_ path: String, _ args: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
}
