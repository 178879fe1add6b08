import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct ServeOnce: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-once",
            abstract: "Serve prediction jobs from the active feature store with a model bundle.",
            discussion: "Not yet available in this release: later releases build it."
        )

        func run() throws {
            throw RTMLError("serve-once is not yet available in this release")
        }
    }
}
