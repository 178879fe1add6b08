import Foundation

/// Loads a table of rows for `rtml train --data`: NDJSON (one JSON object
/// per line) or CSV (RFC 4180, a header line naming the columns), gzip or
/// not. The target column may be numeric (regression, or 0/1) or text
/// (classes, numbered in sorted order). Without `features`, every column
/// other than the target (and the time column) whose first row holds a
/// number is an input.
///
/// A row whose input or target is missing or not a number is an error
/// naming file, line and column: a fit on silently dropped rows would not be
/// the fit the user asked for.
public struct RowsFile {
    public enum Format: String, Sendable { case ndjson, csv }

    public var path: String
    public var target: String
    public var features: [String]?
    /// A column holding each row's time (epoch ms, or RFC 3339 text), for a
    /// time split; without one the row number is the time (file order).
    public var timeColumn: String?

    public init(path: String, target: String, features: [String]? = nil, timeColumn: String? = nil) {
        self.path = path
        self.target = target
        self.features = features
        self.timeColumn = timeColumn
    }

    public static func format(of path: String) -> Format {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        return name.hasSuffix(".csv") ? .csv : .ndjson
    }

    /// A cell as read: its text, and whether it was a JSON string (quoted).
    enum Cell {
        case number(Double)
        case text(String)
        case missing
    }

    public func load() throws -> ExampleTable {
        var builder = Builder(file: path, target: target, features: features, timeColumn: timeColumn)
        try Self.forEachRow(path) { line, cell, names in
            try builder.add(line: line, cell: cell, names: names)
        }
        return try builder.finish()
    }

    /// Calls `body` with each data row's line number, a cell lookup by column
    /// name, and the row's column names (CSV: the header; NDJSON: the keys).
    static func forEachRow(
        _ path: String, _ body: (Int, (String) -> Cell, () -> [String]) throws -> Void
    ) throws {
        let reader = LineReader(source: InputSource(path: path))
        switch format(of: path) {
        case .csv:
            var header: [String]?
            var columnIndex: [String: Int] = [:]
            var fields = CSVLine.Fields()
            try reader.forEachLine { line in
                guard !line.bytes.isEmpty else { return }
                guard let columns = header else {
                    header = try CSVLine.fields(line.bytes, file: path, line: line.number)
                    for (k, name) in header!.enumerated() where columnIndex[name] == nil { columnIndex[name] = k }
                    return
                }
                try fields.split(line.bytes, file: path, line: line.number)
                guard fields.count == columns.count else {
                    throw RTMLError("\(path):\(line.number): \(fields.count) fields, the header has \(columns.count)")
                }
                let bytes = line.bytes
                try body(line.number, { name in
                    guard let k = columnIndex[name] else { return .missing }
                    return fields.cell(k, in: bytes)
                }, { columns })
            }
        case .ndjson:
            var scanner = JSONScanner()
            try reader.forEachLine { line in
                guard !line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return }
                let kind: JSONValueKind
                do { kind = try scanner.scan(line.bytes) } catch {
                    throw RTMLError("\(path):\(line.number): not JSON (\(error))")
                }
                guard kind == .object else { throw RTMLError("\(path):\(line.number): not a JSON object") }
                let bytes = line.bytes
                let members = scanner.members
                let keys = members.map { JSONString.decodeKey(of: $0, in: bytes) }
                var index: [String: Int] = [:]
                index.reserveCapacity(keys.count)
                for (k, key) in keys.enumerated() where index[key] == nil { index[key] = k }
                try body(line.number, { name in
                    guard let k = index[name] else { return .missing }
                    let m = members[k]
                    switch m.kind {
                    case .number: return JSONNumber.double(of: m, in: bytes).map(Cell.number) ?? .missing
                    case .string: return .text(JSONString.decodeValue(of: m, in: bytes))
                    case .bool: return .number(bytes[m.valueStart] == UInt8(ascii: "t") ? 1 : 0)
                    default: return .missing
                    }
                }, { keys })
            }
        }
    }

    struct Builder {
        let file: String
        let target: String
        var features: [String]?
        let timeColumn: String?
        var values: [Double] = []
        var numericTargets: [Double] = []
        var textTargets: [String] = []
        var targetIsText: Bool?
        var times: [Int64] = []
        var rows = 0

        init(file: String, target: String, features: [String]?, timeColumn: String?) {
            self.file = file
            self.target = target
            self.features = features
            self.timeColumn = timeColumn
        }

        mutating func add(line: Int, cell: (String) -> Cell, names: () -> [String]) throws {
            if features == nil {
                features = names().filter { name in
                    guard name != target, name != timeColumn else { return false }
                    if case .number = cell(name) { return true }
                    return false
                }
                if features!.isEmpty { throw RTMLError("\(file):\(line): no numeric input columns besides '\(target)'") }
            }
            for name in features! {
                switch cell(name) {
                case .number(let v): values.append(v)
                case .text(let s): throw RTMLError("\(file):\(line): column '\(name)' is not a number ('\(s.prefix(40))')")
                case .missing: throw RTMLError("\(file):\(line): column '\(name)' is missing")
                }
            }
            switch cell(target) {
            case .missing: throw RTMLError("\(file):\(line): target column '\(target)' is missing")
            case .number(let v):
                if targetIsText == true { throw RTMLError("\(file):\(line): target '\(target)' is a number here, text above") }
                targetIsText = false
                numericTargets.append(v)
            case .text(let s):
                if targetIsText == false { throw RTMLError("\(file):\(line): target '\(target)' is text here, a number above") }
                targetIsText = true
                textTargets.append(s)
            }
            if let timeColumn {
                switch cell(timeColumn) {
                case .number(let v): times.append(Int64(v))
                case .text(let s):
                    guard case .success(let ms) = EventTime.parseRFC3339(s) else {
                        throw RTMLError("\(file):\(line): time column '\(timeColumn)' is not epoch ms or RFC 3339 ('\(s.prefix(40))')")
                    }
                    times.append(ms)
                case .missing: throw RTMLError("\(file):\(line): time column '\(timeColumn)' is missing")
                }
            } else {
                times.append(Int64(rows))
            }
            rows += 1
        }

        func finish() throws -> ExampleTable {
            guard rows > 0, let features else { throw RTMLError("\(file): no rows") }
            var table = ExampleTable(featureNames: features, values: values, times: times)
            if targetIsText == true {
                let classes = Array(Set(textTargets)).sorted()
                let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Double($0)) })
                table.classes = classes
                table.targets = textTargets.map { index[$0]! }
            } else {
                table.targets = numericTargets
            }
            return table
        }
    }
}

/// Splits one CSV record (RFC 4180: fields separated by commas, optionally
/// in double quotes with `""` for a quote). Records spanning lines are not
/// supported: a quoted newline is an error, named as such.
enum CSVLine {
    /// The fields of one record as byte ranges of the line (no copies): the
    /// per-row path for big tables, where a String per field would dominate.
    struct Fields {
        private(set) var starts: [Int] = []
        private(set) var ends: [Int] = []
        private(set) var quoted: [Bool] = []
        var count: Int { starts.count }

        mutating func split(_ bytes: UnsafeRawBufferPointer, file: String, line: Int) throws {
            starts.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            quoted.removeAll(keepingCapacity: true)
            let n = bytes.count
            var i = 0
            while true {
                if i < n, bytes[i] == UInt8(ascii: "\"") {
                    // Quoted: keep the range inside the quotes; `cell` decodes "" pairs.
                    let start = i + 1
                    i += 1
                    var closed = false
                    while i < n {
                        if bytes[i] == UInt8(ascii: "\"") {
                            if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                            closed = true
                            break
                        }
                        i += 1
                    }
                    guard closed else { throw RTMLError("\(file):\(line): unterminated quoted field (a field spanning lines is not supported)") }
                    starts.append(start)
                    ends.append(i)
                    quoted.append(true)
                    i += 1
                    guard i == n || bytes[i] == UInt8(ascii: ",") else { throw RTMLError("\(file):\(line): text after a closing quote") }
                } else {
                    let start = i
                    while i < n, bytes[i] != UInt8(ascii: ",") { i += 1 }
                    starts.append(start)
                    ends.append(i)
                    quoted.append(false)
                }
                if i >= n { break }
                i += 1
            }
        }

        /// Field `k` as a number when it reads as one, else as text; empty is missing.
        func cell(_ k: Int, in bytes: UnsafeRawBufferPointer) -> RowsFile.Cell {
            var start = starts[k], end = ends[k]
            if quoted[k] {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                    .replacingOccurrences(of: "\"\"", with: "\"")
                if text.isEmpty { return .missing }
                return Double(text).map(RowsFile.Cell.number) ?? .text(text)
            }
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            if start == end { return .missing }
            if let v = JSONNumber.double(bytes, from: start, to: end) { return .number(v) }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            return Double(text).map(RowsFile.Cell.number) ?? .text(text)
        }
    }

    static func fields(_ bytes: UnsafeRawBufferPointer, file: String, line: Int) throws -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var i = 0
        let n = bytes.count
        while true {
            field.removeAll(keepingCapacity: true)
            if i < n, bytes[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < n {
                    if bytes[i] == UInt8(ascii: "\"") {
                        if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    field.append(bytes[i])
                    i += 1
                }
                guard closed else { throw RTMLError("\(file):\(line): unterminated quoted field (a field spanning lines is not supported)") }
                guard i == n || bytes[i] == UInt8(ascii: ",") else {
                    throw RTMLError("\(file):\(line): text after a closing quote")
                }
            } else {
                while i < n, bytes[i] != UInt8(ascii: ",") {
                    field.append(bytes[i])
                    i += 1
                }
            }
            fields.append(String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespaces))
            if i >= n { break }
            i += 1  // the comma
        }
        return fields
    }
}
