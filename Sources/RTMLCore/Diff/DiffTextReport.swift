import Foundation

/// The human summary of a diff (the default `--format text`).
public enum DiffTextReport {
    public static func render(_ r: DiffReport) -> String {
        var out: [String] = []
        out.append("rtml diff \(r.pathA) (a) \(r.pathB) (b)")
        if !r.identity.isEmpty {
            out.append("identity (shown, not compared):")
            for (key, a, b) in r.identity {
                out.append("  \(pad(key, 12)) a \(a ?? "-")   b \(b ?? "-")")
            }
        }
        out.append("")
        if r.schema.isEmpty {
            out.append("schema: same")
        } else {
            out.append("schema: \(r.schema.count) difference\(r.schema.count == 1 ? "" : "s")")
            for s in r.schema { out.append("  \(s.table)\(s.column.map { "." + $0 } ?? ""): \(s.what)") }
        }
        out.append("")
        out.append("\(pad("table", 16)) \(lpad("rows a", 10)) \(lpad("rows b", 10)) \(lpad("only a", 9)) \(lpad("only b", 9)) \(lpad("changed", 9)) \(lpad("same", 10))")
        for t in r.tables {
            if let why = t.skipped {
                out.append("\(pad(t.name, 16)) not compared: \(why)")
                continue
            }
            out.append("\(pad(t.name, 16)) \(lpad(t.inA ? Format.count(t.rowsA) : "-", 10)) \(lpad(t.inB ? Format.count(t.rowsB) : "-", 10)) \(lpad(Format.count(t.onlyInA), 9)) \(lpad(Format.count(t.onlyInB), 9)) \(lpad(Format.count(t.changed), 9)) \(lpad(Format.count(t.same), 10))")
        }
        for t in r.tables where t.skipped == nil && !DiffOptions.driftTables.contains(t.name) {
            let changed = t.columns.filter { $0.changed > 0 }
            if !changed.isEmpty {
                out.append("  \(t.name) changed columns: " + changed.map { "\($0.name) (\(Format.count($0.changed)))" }.joined(separator: ", "))
            }
        }
        for t in r.tables where t.skipped == nil && DiffOptions.driftTables.contains(t.name) && !t.columns.isEmpty {
            out.append("")
            out.append("\(t.name): per column over \(Format.count(t.changed + t.same)) users in both (PSI: deciles of a; KS: two-sample statistic)")
            out.append("  \(pad("column", 28)) \(lpad("changed", 8)) \(lpad("max|d|", 10)) \(lpad("mean|d|", 10)) \(lpad("mean shift", 11)) \(lpad("PSI", 8)) \(lpad("KS", 7))")
            for c in t.columns {
                let shift: String
                if c.kind == .text {
                    shift = c.changedShare.map { String(format: "%.1f%% chg", $0 * 100) } ?? "-"
                } else {
                    shift = c.drift?.meanShift.map { String(format: "%+.4g", $0) } ?? "-"
                }
                out.append("  \(pad(c.name, 28)) \(lpad(Format.count(c.changed), 8)) \(lpad(c.numericPairs > 0 ? num(c.maxAbsDiff) : "-", 10)) \(lpad(c.meanAbsDiff.map(num) ?? "-", 10)) \(lpad(shift, 11)) \(lpad(c.drift?.psi.map { String(format: "%.4f", $0) } ?? "-", 8)) \(lpad(c.drift?.ks.map { String(format: "%.4f", $0) } ?? "-", 7))")
            }
        }
        if let s = r.sequences {
            out.append("")
            out.append("sequence ids: \(Format.count(s.remappedUsers)) user\(s.remappedUsers == 1 ? "" : "s") and \(Format.count(s.remappedItems)) item\(s.remappedItems == 1 ? "" : "s") map to a different id; users +\(Format.count(s.usersOnlyInB)) -\(Format.count(s.usersOnlyInA)), items +\(Format.count(s.itemsOnlyInB)) -\(Format.count(s.itemsOnlyInA))")
            if s.remappedUsers > 0 {
                out.append("  hazard: a model trained on a would score \(Format.count(s.remappedUsers)) user\(s.remappedUsers == 1 ? "" : "s") of b as someone else")
            }
            let match = s.fingerprintsMatch ? "match" : "differ"
            out.append("  fingerprints \(match): a \(s.storedA ?? "-")\(stale(s.storedA, s.computedA))  b \(s.storedB ?? "-")\(stale(s.storedB, s.computedB))")
        }
        let withExamples = r.tables.filter { !$0.examples.isEmpty }
        if !withExamples.isEmpty {
            out.append("")
            out.append("first differences per table:")
            for t in withExamples {
                for e in t.examples {
                    let key = e.key.map { $0.shortText(vector: false) }.joined(separator: ", ")
                    switch e.kind {
                    case .onlyInA: out.append("  \(t.name) [\(key)]: only in a")
                    case .onlyInB: out.append("  \(t.name) [\(key)]: only in b")
                    case .changed:
                        let cells = e.cells.map { "\($0.column) \($0.a.shortText(vector: t.name != "meta")) -> \($0.b.shortText(vector: t.name != "meta"))" }
                        out.append("  \(t.name) [\(key)]: " + cells.joined(separator: "; "))
                    }
                }
            }
        }
        if !r.gates.isEmpty {
            out.append("")
            for g in r.gates { out.append(g.sentence) }
        }
        out.append("")
        out.append(verdict(r))
        return out.joined(separator: "\n") + "\n"
    }

    public static func verdict(_ r: DiffReport) -> String {
        if !r.gates.isEmpty {
            let tripped = r.gates.filter(\.tripped).count
            return tripped > 0
                ? "result: \(tripped) of \(r.gates.count) gates tripped: do not promote"
                : "result: no gate tripped\(r.hasDifferences ? " (the stores differ)" : " (no differences)")"
        }
        return r.hasDifferences ? "result: the stores differ" : "result: no differences"
    }

    private static func stale(_ stored: String?, _ computed: SequenceMapFingerprint) -> String {
        guard let stored else { return "" }
        return stored == computed.hex ? "" : " (stale: the tables give \(computed.hex))"
    }

    private static func num(_ v: Double) -> String { String(format: "%.4g", v) }
    private static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    private static func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
}
