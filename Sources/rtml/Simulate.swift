import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "simulate",
            abstract: "Generate a realistic synthetic day of app events (deterministic per seed).",
            discussion: "Not yet available in this build."
        )

        func run() throws {
            throw RTMLError("simulate is not yet available in this build")
        }
    }
}
