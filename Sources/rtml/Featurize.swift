import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Featurize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "featurize",
            abstract: "Compute event-time features into a SQLite feature store; write prediction jobs.",
            discussion: "Not yet available in this release: later releases build it."
        )

        func run() throws {
            throw RTMLError("featurize is not yet available in this release")
        }
    }
}
