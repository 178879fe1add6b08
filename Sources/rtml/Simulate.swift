import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "simulate",
            abstract: "Generate a realistic synthetic day of app events (deterministic per seed).",
            discussion: """
            Writes one day of Segment-style `track` events (app.open, search, content.start, \
            content.exit, content.complete, biometric) as NDJSON sorted by receivedAt. Users have \
            latent preferences over categories and items, and what they start next also depends on \
            their recent searches, a rising step count and heart rate, sleep bounces and the time of \
            day (docs/simulator.md gives the exact model). The same arguments give byte-identical \
            output on any machine. Without --date the day is 2026-11-26 (fixed, not today, so that \
            output never depends on when it runs).

            --malformed-rate, --duplicate-rate and --late-rate each take a fraction in [0, 1) of \
            events to break, re-send (same messageId) or deliver 20 minutes to 3 hours late.

            Example:

              rtml simulate --users 10000 --seed 7 --malformed-rate 0.01 --duplicate-rate 0.01 \\
                --late-rate 0.005 -o day.ndjson.gz --stats sim-stats.json
            """
        )

        @Option(help: ArgumentHelp("Number of users to simulate.", valueName: "n"))
        var users = 1000

        @Option(help: ArgumentHelp("The simulated day, YYYY-MM-DD (UTC).", valueName: "date"))
        var date = SimulationConfig.defaultDate

        @Option(help: ArgumentHelp("Random seed; the same seed gives the same bytes.", valueName: "n"))
        var seed: UInt64 = 1

        @Option(name: .customLong("malformed-rate"), help: ArgumentHelp("Fraction of events written as broken lines.", valueName: "r"))
        var malformedRate = 0.0

        @Option(name: .customLong("duplicate-rate"), help: ArgumentHelp("Fraction of events re-sent with the same messageId.", valueName: "r"))
        var duplicateRate = 0.0

        @Option(name: .customLong("late-rate"), help: ArgumentHelp("Fraction of events delivered 20 minutes to 3 hours after they happened.", valueName: "r"))
        var lateRate = 0.0

        @OptionGroup var output: OutputOptions
        @OptionGroup var report: ReportOptions

        func validate() throws {
            guard users >= 0 else { throw ValidationError("'--users' must be 0 or more") }
            guard EventTime.parseDate(date) != nil else {
                throw ValidationError("'--date' must be a real date written YYYY-MM-DD, not \"\(date)\"")
            }
            for (flag, rate) in [("--malformed-rate", malformedRate), ("--duplicate-rate", duplicateRate), ("--late-rate", lateRate)] {
                guard rate >= 0 && rate < 1 else {
                    throw ValidationError("'\(flag)' must be at least 0 and below 1")
                }
            }
        }

        func run() throws {
            let config = try SimulationConfig(
                users: users, date: date, seed: seed,
                malformedRate: malformedRate, duplicateRate: duplicateRate, lateRate: lateRate)
            let began = Monotonic.now()
            let writer = try output.makeWriter()
            let stats = try DaySimulator.run(config, to: writer)
            let seconds = Monotonic.now() - began
            try report.finish(stats: stats.json(date: date, seed: seed, elapsedSeconds: seconds),
                              summary: stats.summary(date: date, elapsedSeconds: seconds))
        }
    }
}
