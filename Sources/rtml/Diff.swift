import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Compare two feature stores (blue against green) before a switch.",
            discussion: "Not yet available in this release: later releases build it."
        )

        func run() throws {
            throw RTMLError("diff is not yet available in this release")
        }
    }
}
