import ArgumentParser
import Foundation
import RTMLCore

@main
struct RTMLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtml",
        abstract: "Real-time ML inference as Unix filters over NDJSON event logs and SQLite feature stores.",
        discussion: """
        Every stage reads NDJSON (gzip detected by magic bytes) from files or stdin and \
        writes to stdout, so stages compose with pipes:

          rtml simulate --users 1000 --seed 7 | rtml ingest --rejects rejects.ndjson > events.ndjson
        """,
        version: RTMLVersion.string,
        subcommands: [
            Ingest.self, Featurize.self, Train.self, ServeOnce.self,
            Replay.self, Diff.self, Promote.self, Simulate.self, Partition.self, StoreSetCommand.self,
        ]
    )

    /// Entry point: the one place where outcomes become exit statuses.
    static func main() {
        // A closed stdout must show up as EPIPE on write, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        // SQLite's process-wide settings go in before any thread opens a connection.
        SQLiteSetup.apply()
        do {
            var command = try parseAsRoot()
            try command.run()
            Foundation.exit(ExitStatus.success.rawValue)
        } catch let status as StageExit {
            Foundation.exit(status.status.rawValue)
        } catch is BrokenPipe {
            Foundation.exit(ExitStatus.success.rawValue)
        } catch let error as RTMLError {
            FileHandle.standardError.write(Data("rtml: \(error.message)\n".utf8))
            Foundation.exit(error.status.rawValue)
        } catch {
            // ArgumentParser's own: help and version (0), usage errors (64).
            exit(withError: error)
        }
    }
}

/// A stage finished its work and reports how it ended (summary already printed).
struct StageExit: Error {
    var status: ExitStatus
}
