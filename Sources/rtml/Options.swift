import ArgumentParser
import RTMLCore

/// Where a stage writes its data: stdout or `-o FILE`, gzip by name or flag.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp("Write data to FILE instead of stdout (gzip when FILE ends in .gz).", valueName: "file"))
    var output: String?

    @Flag(help: "Gzip the output even when its name does not end in .gz (or on stdout).")
    var gzip = false

    @Option(name: .customLong("gzip-level"), help: ArgumentHelp("Gzip compression level, 1 (fast) to 9 (small).", valueName: "n"))
    var gzipLevel: Int32 = 1

    func validate() throws {
        guard (1...9).contains(gzipLevel) else {
            throw ValidationError("'--gzip-level' must be between 1 and 9")
        }
    }

    func makeWriter() throws -> OutputWriter {
        try OutputWriter(path: output, gzip: gzip, level: gzipLevel)
    }
}

/// Counters and messages every stage shares.
struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the stage's counters as one JSON object to FILE.", valueName: "file"))
    var stats: String?

    @Flag(name: [.short, .long], help: "No human summary on stderr.")
    var quiet = false
}
