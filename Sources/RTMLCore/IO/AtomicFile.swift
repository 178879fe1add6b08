import Foundation

/// Replaces a small file so that a reader sees the old contents or the new,
/// never a mix, and the change survives a crash: a temporary file beside it,
/// fsync, rename over it, fsync of the directory (the rename is durable once
/// the directory entry is). `ACTIVE` and a store set's manifest are written so.
enum AtomicFile {
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw RTMLError("\(temporary): cannot write (\(String(cString: strerror(errno))))") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0 else {
            unlink(temporary)
            throw RTMLError("\(temporary): write failed (\(String(cString: strerror(errno))))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RTMLError("\(path): cannot replace (\(reason))")
        }
        let parent = (path as NSString).deletingLastPathComponent
        let dir = open(parent.isEmpty ? "." : parent, O_RDONLY)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
