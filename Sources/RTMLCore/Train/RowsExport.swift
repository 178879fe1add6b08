import Foundation

/// Writes the exact rows a fit used (`--export-rows`), one JSON object per
/// line: `split` (train/test), `time` and `userId` when the rows have them,
/// each input by name, and `target` (the class name for a categorical
/// target). Anyone can reproduce the fit from this file elsewhere.
public enum RowsExport {
    public static func write(_ table: ExampleTable, train: [Int], test: [Int], to path: String) throws {
        let writer = try OutputWriter(path: path)
        var line: [UInt8] = []
        line.reserveCapacity(1024)
        for (split, rows) in [("train", train), ("test", test)] {
            for i in rows {
                line.removeAll(keepingCapacity: true)
                line.append(contentsOf: "{\"split\":\"\(split)\"".utf8)
                if let times = table.times {
                    line.append(contentsOf: ",\"time\":\(times[i])".utf8)
                }
                if let keys = table.keys {
                    line.append(contentsOf: ",\"userId\":".utf8)
                    JSONString.appendQuoted(keys[i], to: &line)
                }
                for (j, name) in table.featureNames.enumerated() {
                    line.append(UInt8(ascii: ","))
                    JSONString.appendQuoted(name, to: &line)
                    line.append(UInt8(ascii: ":"))
                    line.append(contentsOf: JSONValue.double(table.values[i * table.featureCount + j]).rendered().utf8)
                }
                line.append(contentsOf: ",\"target\":".utf8)
                if let classes = table.classes {
                    JSONString.appendQuoted(classes[Int(table.targets[i])], to: &line)
                } else {
                    line.append(contentsOf: JSONValue.double(table.targets[i]).rendered().utf8)
                }
                line.append(contentsOf: "}\n".utf8)
                try writer.write(line)
            }
        }
        try writer.close()
    }
}
