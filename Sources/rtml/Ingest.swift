import ArgumentParser
import RTMLCore

extension RTMLCommand {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Validate, deduplicate and normalise raw app events into canonical NDJSON."
        )

        @Argument(help: ArgumentHelp("Event logs (NDJSON, gzip or plain); none or - reads stdin.", valueName: "file"))
        var files: [String] = []

        @OptionGroup var output: OutputOptions
        @OptionGroup var report: ReportOptions

        func run() throws {
            let writer = try output.makeWriter()
            for source in InputSource.list(files) {
                try LineReader(source: source).forEachLine { line in
                    try writer.write(line.bytes)
                    try writer.writeByte(0x0A)
                }
            }
            try writer.close()
        }
    }
}
