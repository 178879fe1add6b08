/// How a run ended, as the process exit status every subcommand shares.
///
/// The one place where outcomes map to numbers (DESIGN.md "Exit status").
public enum ExitStatus: Int32, Sendable {
    /// The work was done and nothing needs attention.
    case success = 0
    /// A finding: differences, a missed threshold, a bad record under `--strict`.
    case finding = 1
    /// An error: unreadable input, corrupt data, incompatible artifacts.
    case error = 2
    /// The command line itself was wrong.
    case usage = 64
}

/// An error a user can act on: where it happened and why, in one lowercase sentence.
public struct RTMLError: Error, CustomStringConvertible, Sendable {
    public var status: ExitStatus
    public var message: String

    public init(_ message: String, status: ExitStatus = .error) {
        self.message = message
        self.status = status
    }

    public var description: String { message }

    public static func usage(_ message: String) -> RTMLError {
        RTMLError(message, status: .usage)
    }
}

/// Thrown by writers when the reader of stdout went away (`| head -1`).
///
/// Not a failure: the command ends quietly with status 0, like ripgrep and cat.
public struct BrokenPipe: Error, Sendable {
    public init() {}
}
