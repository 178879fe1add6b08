import ArgumentParser
import Foundation
import RTMLCore

extension RTMLCommand {
    struct Diff: ParsableCommand {
        enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
            case text, ndjson, sql
        }

        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Compare two feature stores (blue against green) before a switch.",
            discussion: """
            Streams both stores in primary-key order (a merge-join, so memory stays flat) and \
            reports schema differences; per table the keys only in a, only in b, changed and \
            the same; per feature column the changed rows, the largest and mean absolute \
            difference, the mean shift, PSI (deciles of a) and the Kolmogorov-Smirnov statistic; \
            and the users and items whose sequence id differs (a model trained on one store \
            would score them as someone else in the other). docs/diff.md defines every statistic.

            Formats: text (a summary), ndjson (one line per changed cell or row, then one per \
            table, column, gate and a summary), sql (statements that turn a into b).

            Gates, for promotion pipelines (several allowed): [table[.column]:]metric op number[%] \
            with metric one of psi, ks, max_abs_diff, mean_abs_diff, mean_shift, changed_share, \
            changed_rows, only_in_a, only_in_b, remapped_users, remapped_items, schema_changes \
            and op one of >, >=, <, <=. A count with % is a share of the table's keys.

            Exit status: without gates 0 when the stores are the same within the tolerance, \
            1 when they differ; with gates 0 when no gate trips, 1 when one does; 2 on an \
            error (missing or unreadable file, not an rtml store, a store locked by a writer).

            Store sets (directories with manifest.json, docs/scale-out.md): two sets of the same \
            number of partitions are compared shard by shard (part-0000.db of a with part-0000.db \
            of b, ...); the text report prints each differing shard's report in full and one line \
            per shard that is the same, ndjson adds "shard":I to every line, and the gates apply to \
            each shard (a gate trips when it trips on any shard; PSI and KS are per shard). A set \
            against a single store, or sets of different sizes, is refused (exit 2); sql is per \
            store only.

            Example:
              rtml diff stores/blue.db stores/green.db --fail-on 'psi>0.2' --fail-on 'remapped_users>0'
              rtml diff sets/blue sets/green --fail-on 'remapped_users>0'
            """
        )

        @Argument(help: ArgumentHelp("The store (or store set) compared from (blue).", valueName: "a.db"))
        var storeA: String

        @Argument(help: ArgumentHelp("The store (or store set) compared to (green).", valueName: "b.db"))
        var storeB: String

        @Option(help: ArgumentHelp("text, ndjson or sql.", valueName: "format"))
        var format: OutputFormat = .text

        @Option(name: [.short, .long], help: ArgumentHelp("Write the report to FILE instead of stdout.", valueName: "file"))
        var output: String?

        @Option(name: .customLong("abs-tol"), help: ArgumentHelp("Numbers within this absolute difference are equal (default: exact).", valueName: "x"))
        var absTol: Double = 0

        @Option(name: .customLong("rel-tol"), help: ArgumentHelp("Numbers within this relative difference (of the larger) are equal.", valueName: "x"))
        var relTol: Double = 0

        @Option(help: ArgumentHelp("Compare only these tables (comma-separated; the checkpoint tables only when named).", valueName: "t1,t2"))
        var tables: String?

        @Option(help: ArgumentHelp("Compare only these columns (comma-separated; keys are always compared).", valueName: "c1,c2"))
        var columns: String?

        @Option(name: .customLong("fail-on"), help: ArgumentHelp("A promotion gate, e.g. 'psi>0.2', 'remapped_users>0', 'changed_rows>1%'; repeatable.", valueName: "gate"))
        var failOn: [String] = []

        @Flag(name: .customLong("no-drift"), help: "Skip PSI and KS (each needs a sorted read of every feature column).")
        var noDrift = false

        @Option(help: ArgumentHelp("Changed rows shown per table in the text summary.", valueName: "n"))
        var examples = 5

        @Option(name: .customLong("busy-timeout"), help: ArgumentHelp("How long to wait for a writer's lock before failing.", valueName: "duration"))
        var busyTimeout = "5s"

        func validate() throws {
            guard absTol >= 0, absTol.isFinite else { throw ValidationError("'--abs-tol' must be a number >= 0") }
            guard relTol >= 0, relTol.isFinite else { throw ValidationError("'--rel-tol' must be a number >= 0") }
            guard examples >= 0 else { throw ValidationError("'--examples' must be at least 0") }
            _ = try DurationText.flag(busyTimeout, "--busy-timeout")
            for name in list(tables) where !DiffOptions.ownedTables.contains(name) {
                throw ValidationError("'--tables': '\(name)' is not a table rtml owns (\(DiffOptions.ownedTables.joined(separator: ", ")))")
            }
            for gate in failOn {
                do { _ = try DiffGate(gate) } catch let error as RTMLError { throw ValidationError(error.message) }
            }
        }

        private func list(_ text: String?) -> [String] {
            (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func run() throws {
            var options = DiffOptions()
            if tables != nil { options.tables = list(tables) }
            if columns != nil { options.columns = Set(list(columns)) }
            options.tolerance = Tolerance(absolute: absTol, relative: relTol)
            options.drift = !noDrift
            options.examples = format == .text ? examples : 0
            options.busyTimeout = Double(try DurationText.flag(busyTimeout, "--busy-timeout")) / 1000
            let gates = try failOn.map(DiffGate.init)
            if StoreSet.isSet(storeA) || StoreSet.isSet(storeB) {
                try runSets(options: options, gates: gates)
                return
            }

            let writer = try OutputWriter(path: output)
            let write: (String) throws -> Void = { try writer.write($0) }
            let sink: DiffSink?
            var sqlSink: DiffSQLSink?
            switch format {
            case .text: sink = nil
            case .ndjson: sink = DiffNDJSONSink(write: write)
            case .sql:
                let s = DiffSQLSink(write: write)
                try s.begin()
                sqlSink = s
                sink = s
            }
            var report = try StoreDiff(options: options, sink: sink).run(pathA: storeA, pathB: storeB)
            report.gates = try gates.map { try $0.evaluate(report) }

            switch format {
            case .text:
                try writer.write(DiffTextReport.render(report))
            case .ndjson:
                for line in DiffNDJSONSink.summaryLines(report) { try writer.write(line + "\n") }
            case .sql:
                try sqlSink?.end()
            }
            try writer.close()
            if format != .text {
                for gate in report.gates where gate.tripped { Console.error("rtml: \(gate.sentence)") }
            }
            let tripped = report.gates.contains(where: \.tripped)
            let finding = gates.isEmpty ? report.hasDifferences : tripped
            if finding { throw StageExit(status: .finding) }
        }

        /// Two store sets, shard by shard (StoreSetDiff).
        private func runSets(options: DiffOptions, gates: [DiffGate]) throws {
            guard format != .sql else {
                throw RTMLError.usage("--format sql turns one store into another; for store sets run it per shard (rtml diff \(storeA)/part-0000.db \(storeB)/part-0000.db --format sql)")
            }
            let pairs = try StoreSetDiff.shardPairs(storeA, storeB)
            let writer = try OutputWriter(path: output)
            var differing: [Int] = []
            var tripped: [String] = []
            var text: [String] = ["rtml diff \(storeA) (a) \(storeB) (b): store sets of \(pairs.count) shards, compared shard by shard", ""]
            for (i, pair) in pairs.enumerated() {
                let tag: (String) -> String = { StoreSetDiff.tagged($0, shard: i) }
                let sink: DiffSink? = format == .ndjson ? DiffNDJSONSink(write: { try writer.write(tag($0)) }) : nil
                var report = try StoreDiff(options: options, sink: sink).run(pathA: pair.a, pathB: pair.b)
                report.gates = try gates.map { try $0.evaluate(report) }
                let name = StoreSetManifest.shardFileName(i)
                let finding = report.hasDifferences || report.gates.contains(where: \.tripped)
                if report.hasDifferences { differing.append(i) }
                for g in report.gates where g.tripped { tripped.append("\(name): \(g.sentence)") }
                switch format {
                case .text:
                    if finding {
                        text.append("== shard \(i): \(name) differs ==")
                        text.append(DiffTextReport.render(report))
                    } else {
                        text.append("\(name): same")
                    }
                case .ndjson:
                    for line in DiffNDJSONSink.summaryLines(report) { try writer.write(tag(line) + "\n") }
                case .sql: break
                }
            }
            let names = differing.map(StoreSetManifest.shardFileName)
            let verdict = differing.isEmpty ? "the sets are the same" : "\(differing.count) of \(pairs.count) shards differ: \(names.joined(separator: ", "))"
            switch format {
            case .text:
                text.append("")
                text.append("store sets: \(verdict)")
                text.append(contentsOf: tripped)
                try writer.write(text.joined(separator: "\n") + "\n")
            case .ndjson:
                try writer.write(JSONValue.object([
                    ("type", .string("set_summary")), ("shards", .int(pairs.count)),
                    ("differing_shards", .array(differing.map { .int($0) })), ("gates_tripped", .int(tripped.count)),
                ]).rendered() + "\n")
                for t in tripped { Console.error("rtml: \(t)") }
            case .sql: break
            }
            try writer.close()
            if gates.isEmpty ? !differing.isEmpty : !tripped.isEmpty { throw StageExit(status: .finding) }
        }
    }
}
