import Foundation

/// A promotion gate: `[table[.column]:]metric op number[%]`, e.g.
/// `psi>0.2`, `remapped_users>0`, `changed_rows>1%`,
/// `features.steps_mean_10m:ks>=0.1`. docs/diff.md defines the metrics.
public struct DiffGate: Sendable, Equatable {
    public enum Op: String, Sendable, CaseIterable {
        case ge = ">=", le = "<=", gt = ">", lt = "<"

        func holds(_ x: Double, _ limit: Double) -> Bool {
            switch self {
            case .gt: return x > limit
            case .ge: return x >= limit
            case .lt: return x < limit
            case .le: return x <= limit
            }
        }
    }

    public enum Scope: Sendable { case column, table, store }

    /// Metrics and where each is measured.
    public static let metrics: [String: Scope] = [
        "psi": .column, "ks": .column, "max_abs_diff": .column, "mean_abs_diff": .column,
        "mean_shift": .column, "changed_share": .column,
        "changed_rows": .table, "only_in_a": .table, "only_in_b": .table,
        "remapped_users": .store, "remapped_items": .store, "schema_changes": .store,
    ]

    public var text: String
    public var table: String?
    public var column: String?
    public var metric: String
    public var op: Op
    public var limit: Double
    public var percent: Bool

    /// Parses one gate, or throws a usage error saying what is wrong.
    public init(_ text: String) throws {
        self.text = text
        let spec = text.filter { !$0.isWhitespace }
        var rest = Substring(spec)
        if let colon = rest.firstIndex(of: ":") {
            let scope = rest[..<colon]
            rest = rest[rest.index(after: colon)...]
            let parts = scope.split(separator: ".", maxSplits: 1).map(String.init)
            guard let first = parts.first, !first.isEmpty else { throw Self.bad(text, "the scope before ':' is empty") }
            table = first
            column = parts.count > 1 ? parts[1] : nil
        }
        guard let op = Op.allCases.first(where: { rest.contains($0.rawValue) }),
              let range = rest.range(of: op.rawValue) else {
            throw Self.bad(text, "no comparison (>, >=, <, <=)")
        }
        self.op = op
        metric = String(rest[..<range.lowerBound])
        guard let scope = Self.metrics[metric] else {
            throw Self.bad(text, "unknown metric '\(metric)' (known: \(Self.metrics.keys.sorted().joined(separator: ", ")))")
        }
        var number = String(rest[range.upperBound...])
        percent = number.hasSuffix("%")
        if percent { number.removeLast() }
        guard let value = Double(number), value.isFinite else { throw Self.bad(text, "'\(number)' is not a number") }
        limit = percent ? value / 100 : value
        if scope == .store && table != nil { throw Self.bad(text, "\(metric) is a store-wide metric and takes no table") }
        if scope == .table && column != nil && metric != "changed_rows" {
            throw Self.bad(text, "\(metric) is measured per table, not per column")
        }
    }

    static func bad(_ text: String, _ why: String) -> RTMLError {
        .usage("'--fail-on \(text)': \(why); the form is [table[.column]:]metric op number[%], e.g. psi>0.2")
    }

    /// Checks the gate against a report: the worst value wins.
    public func evaluate(_ report: DiffReport) throws -> GateResult {
        var measured: [(place: String, value: Double)] = []
        let scope = Self.metrics[metric]!
        switch scope {
        case .store:
            if metric == "schema_changes" {
                measured.append(("schema", Double(report.schema.count)))
            } else {
                guard let s = report.sequences else {
                    throw RTMLError.usage("'--fail-on \(text)': \(metric) needs sequence_ids and item_ids to be compared")
                }
                let (n, base) = metric == "remapped_users" ? (s.remappedUsers, s.usersInBoth) : (s.remappedItems, s.itemsInBoth)
                measured.append((metric == "remapped_users" ? "sequence_ids" : "item_ids", share(n, base)))
            }
        case .table where column == nil:
            for t in report.tables where table == nil || t.name == table {
                guard t.skipped == nil else { continue }
                let n = metric == "changed_rows" ? t.changed : (metric == "only_in_a" ? t.onlyInA : t.onlyInB)
                measured.append((t.name, share(n, t.keys)))
            }
        default:
            for t in report.tables where table == nil || t.name == table {
                for c in t.columns where column == nil || c.name == column {
                    let value: Double?
                    switch metric {
                    case "psi": value = c.drift?.psi
                    case "ks": value = c.drift?.ks
                    case "max_abs_diff": value = c.numericPairs > 0 ? c.maxAbsDiff : nil
                    case "mean_abs_diff": value = c.meanAbsDiff
                    case "mean_shift": value = c.drift?.meanShift.map(abs)
                    case "changed_share": value = c.changedShare
                    default: value = share(c.changed, c.paired)
                    }
                    if let value { measured.append(("\(t.name).\(c.name)", value)) }
                }
            }
        }
        if let table, !report.tables.contains(where: { $0.name == table }), scope != .store {
            throw RTMLError.usage("'--fail-on \(text)': table '\(table)' was not compared")
        }
        let worst = measured.max { a, b in (op == .gt || op == .ge) ? a.value < b.value : a.value > b.value }
        let tripped = worst.map { op.holds($0.value, limit) } ?? false
        return GateResult(gate: self, tripped: tripped, place: worst?.place, value: worst?.value, measured: measured.count)
    }

    private func share(_ n: Int, _ base: Int) -> Double {
        guard percent else { return Double(n) }
        return base > 0 ? Double(n) / Double(base) : 0
    }
}

/// How a gate came out: the worst value found, and whether it trips.
public struct GateResult: Sendable {
    public var gate: DiffGate
    public var tripped: Bool
    /// Where the worst value was measured (`features.steps_mean_10m`, `sequence_ids`).
    public var place: String?
    public var value: Double?
    /// How many places the metric was measured in (0: nothing to check).
    public var measured: Int

    /// The worst value in the gate's own unit (a percentage when it was given in %).
    public var shownValue: String {
        guard let value else { return "n/a" }
        return gate.percent ? DiffValue.compact4(value * 100) + "%" : DiffValue.compact4(value)
    }

    public var sentence: String {
        let limit = gate.percent ? DiffValue.compact4(gate.limit * 100) + "%" : DiffValue.compact4(gate.limit)
        guard let place, let value else { return "gate \(gate.text): passed (nothing to measure)" }
        if tripped {
            let by = abs(value - gate.limit) * (gate.percent ? 100 : 1)
            return "gate \(gate.text): TRIPPED at \(place): \(gate.metric) \(shownValue) \(gate.op.rawValue) \(limit) (by \(DiffValue.compact4(by))\(gate.percent ? " points" : ""))"
        }
        return "gate \(gate.text): passed (worst \(place): \(gate.metric) \(shownValue))"
    }
}

extension DiffValue {
    /// 4 significant digits, integers as integers.
    static func compact4(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.4g", v)
    }
}
