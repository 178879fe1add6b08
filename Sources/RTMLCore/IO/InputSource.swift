#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One input named on the command line: a file path, or stdin for `-` and none.
public struct InputSource: Sendable, Equatable {
    /// The path as given, or nil for stdin (or a descriptor).
    public var path: String?
    /// An open descriptor to read instead (replay's in-process pipes); its owner closes it.
    public var descriptor: Int32?
    private var name: String?

    public init(path: String?) {
        self.path = (path == "-") ? nil : path
    }

    /// Reads an open descriptor (a pipe between stages of one process),
    /// named `name` in messages and rejects.
    public init(descriptor: Int32, name: String) {
        self.path = nil
        self.descriptor = descriptor
        self.name = name
    }

    public static let stdin = InputSource(path: nil)

    /// How messages and rejects name this input.
    public var displayName: String { name ?? path ?? "<stdin>" }

    /// The inputs a command was given: none means stdin.
    public static func list(_ paths: [String]) -> [InputSource] {
        paths.isEmpty ? [.stdin] : paths.map { InputSource(path: $0) }
    }

    func openDescriptor() throws -> Int32 {
        if let descriptor { return descriptor }
        guard let path else { return STDIN_FILENO }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw RTMLError("\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw RTMLError("\(path): is a directory, not an event log")
        }
        return fd
    }
}

/// Reads from a descriptor, retrying interrupted calls.
@inline(__always)
func readRetrying(_ fd: Int32, _ into: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
    while true {
        let n = read(fd, into, count)
        if n >= 0 { return n }
        if errno == EINTR { continue }
        throw RTMLError("read failed: \(String(cString: strerror(errno)))")
    }
}
