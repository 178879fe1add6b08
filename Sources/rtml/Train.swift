import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Train a model from a feature store or a table of rows and export a bundle.",
            discussion: "Not yet available in this release: later releases build it."
        )

        func run() throws {
            throw RTMLError("train is not yet available in this release")
        }
    }
}
