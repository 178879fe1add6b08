import Foundation

/// A blue-green stores directory: `blue.db`, `green.db` and `ACTIVE`, a file
/// holding `blue` or `green` that is replaced atomically (temporary file,
/// fsync, rename, fsync of the directory), so a reader sees the old color or
/// the new one, never a half-written file.
public struct StoresDirectory: Sendable {
    public static let colors = ["blue", "green"]
    public static let activeFile = "ACTIVE"

    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `DIR/blue.db`, or `DIR/blue` when that is a store set and there is
    /// no `blue.db` (a blue-green pair of sets; docs/scale-out.md).
    public func storePath(_ color: String) -> String {
        let file = (path as NSString).appendingPathComponent("\(color).db")
        let set = (path as NSString).appendingPathComponent(color)
        if !FileManager.default.fileExists(atPath: file), StoreSet.isSet(set) { return set }
        return file
    }

    var activePath: String { (path as NSString).appendingPathComponent(Self.activeFile) }

    /// The active color, read from `ACTIVE`.
    public func activeColor() throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RTMLError("\(path): no such stores directory")
        }
        guard let data = FileManager.default.contents(atPath: activePath) else {
            throw RTMLError("\(activePath): missing; no store is active yet (rtml promote --stores \(path) --to blue|green)")
        }
        let color = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.colors.contains(color) else {
            throw RTMLError("\(activePath): holds '\(color.prefix(20))', expected blue or green")
        }
        return color
    }

    /// The active store's file.
    public func activeStorePath() throws -> String {
        storePath(try activeColor())
    }

    /// Replaces `ACTIVE` with `color` atomically and durably.
    public func setActive(_ color: String) throws {
        guard Self.colors.contains(color) else { throw RTMLError.usage("color must be blue or green, not '\(color)'") }
        try AtomicFile.replace(activePath, with: Array((color + "\n").utf8))
    }
}

/// Which store a reader uses: one file (`--store`), or the active one of a
/// stores directory (`--stores`), looked up again whenever asked so a
/// long-running reader follows a promote.
public enum StoreLocation: Sendable, Equatable {
    case file(String)
    case directory(String)

    public func currentPath() throws -> String {
        switch self {
        case .file(let path): return path
        case .directory(let dir): return try StoresDirectory(path: dir).activeStorePath()
        }
    }
}
