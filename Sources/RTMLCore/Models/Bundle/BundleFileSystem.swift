import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system steps bundles and registries need to be crash-safe:
/// whole-file writes that are on disk before they are renamed into place,
/// directory fsyncs, and reads that check the size they expect.
enum BundleFileSystem {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Writes `bytes` to a new file at `path` (it must not exist) and fsyncs it.
    static func writeNewFile(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RTMLError("\(path): cannot create: \(errnoText())") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw RTMLError("\(path): write failed: \(errnoText())")
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw RTMLError("\(path): fsync failed: \(errnoText())") }
    }

    static func writeNewFile(_ path: String, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeNewFile(path, $0) }
    }

    /// Makes a rename or a new entry in `directory` durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RTMLError("\(directory): cannot open directory: \(errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw RTMLError("\(directory): fsync failed: \(errnoText())") }
    }

    /// Replaces `path` with `bytes` atomically: a temp file beside it, fsync, rename, directory fsync.
    static func replaceFile(_ path: String, _ bytes: [UInt8]) throws {
        let directory = parent(of: path)
        let temp = join(directory, ".\(basename(path)).tmp-\(UUID().uuidString.lowercased())")
        do {
            try writeNewFile(temp, bytes)
            guard rename(temp, path) == 0 else { throw RTMLError("\(path): cannot replace: \(errnoText())") }
        } catch {
            unlink(temp)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Reads a whole file, or nil when it does not exist.
    static func readFile(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw RTMLError("\(path): cannot open for reading: \(errnoText())")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw RTMLError("\(path): cannot stat: \(errnoText())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw RTMLError("\(path): not a regular file") }
        var out: [UInt8] = []
        out.reserveCapacity(Int(st.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RTMLError("\(path): read failed: \(errnoText())")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Reads a file that must hold exactly `byteCount` bytes into `buffer`
    /// (which has room for exactly that many). Returns the file's actual size
    /// when it differs, without reading it.
    static func readExact(_ path: String, into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RTMLError("\(path): cannot open for reading: \(errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw RTMLError("\(path): cannot stat: \(errnoText())") }
        guard Int(st.st_size) == buffer.count else { return Int(st.st_size) }
        var offset = 0
        while offset < buffer.count {
            let n = read(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw RTMLError("\(path): read failed: \(errnoText())")
            }
            if n == 0 { return offset }
            offset += n
        }
        return nil
    }

    enum Kind { case missing, file, directory, other }

    static func kind(_ path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Names in a directory (without `.` and `..`).
    static func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else {
            throw RTMLError("\(directory): cannot list: \(errnoText())")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a directory tree this process made (a staging directory), ignoring errors.
    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func makeDirectories(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RTMLError("\(path): cannot create directory: \(error.localizedDescription)")
        }
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// `path` without trailing slashes (but `/` stays `/`).
    static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    static func basename(_ path: String) -> String {
        let p = trimmed(path)
        guard let slash = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: slash)...])
    }

    static func parent(of path: String) -> String {
        let p = trimmed(path)
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }
}
