import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Replay a recorded day through the pipeline and report latency and quality.",
            discussion: "Not yet available in this release: later releases build it."
        )

        func run() throws {
            throw RTMLError("replay is not yet available in this release")
        }
    }
}
