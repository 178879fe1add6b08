import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote",
            abstract: "Switch a blue-green stores directory atomically, checking model and store agree.",
            discussion: "Not yet available in this release: later releases build it."
        )

        func run() throws {
            throw RTMLError("promote is not yet available in this release")
        }
    }
}
