import Foundation
import RTMLCore
import Testing

@Suite struct RowsFileTests {
    func write(_ dir: TempDir, _ name: String, _ text: String) -> String {
        let path = dir.path(name)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        return path
    }

    @Test func csvWithQuotesAndAllNumericColumnsAsInputs() throws {
        let dir = TempDir()
        let path = write(dir, "r.csv", "a,\"b\",label,name\n1,2.5,x,\"q, \"\"r\"\"\"\n-3,1e2,y,z\n")
        let table = try RowsFile(path: path, target: "label").load()
        #expect(table.featureNames == ["a", "b"])
        #expect(table.values == [1, 2.5, -3, 100])
        #expect(table.classes == ["x", "y"])
        #expect(table.targets == [0, 1])
        #expect(table.times == [0, 1])
    }

    @Test func ndjsonWithChosenFeaturesAndATimeColumn() throws {
        let dir = TempDir()
        let path = write(dir, "r.ndjson", """
            {"t":"2026-11-26T00:00:00Z","x":1,"y":0.5,"z":9}
            {"t":"2026-11-26T00:00:01Z","x":2,"y":1.5,"z":true}

            """)
        let table = try RowsFile(path: path, target: "y", features: ["z", "x"], timeColumn: "t").load()
        #expect(table.featureNames == ["z", "x"])
        #expect(table.values == [9, 1, 1, 2])
        #expect(table.targets == [0.5, 1.5])
        #expect(table.classes == nil)
        #expect(table.times!.count == 2 && table.times![1] - table.times![0] == 1_000)
    }

    @Test func badRowsNameFileLineAndColumn() throws {
        let dir = TempDir()
        let missing = write(dir, "m.ndjson", "{\"x\":1,\"y\":2}\n{\"y\":3}\n")
        let error = try #require(throws: RTMLError.self) { try RowsFile(path: missing, target: "y").load() }
        #expect(error.message == "\(missing):2: column 'x' is missing")
        let text = write(dir, "t.csv", "x,y\n1,2\nabc,3\n")
        let e2 = try #require(throws: RTMLError.self) { try RowsFile(path: text, target: "y").load() }
        #expect(e2.message.hasPrefix("\(text):3: column 'x' is not a number"))
        let ragged = write(dir, "g.csv", "x,y\n1,2,3\n")
        let e3 = try #require(throws: RTMLError.self) { try RowsFile(path: ragged, target: "y").load() }
        #expect(e3.message == "\(ragged):2: 3 fields, the header has 2")
        let notJSON = write(dir, "n.ndjson", "{\"x\":1,\"y\":2}\n{x:1}\n")
        let e4 = try #require(throws: RTMLError.self) { try RowsFile(path: notJSON, target: "y").load() }
        #expect(e4.message.hasPrefix("\(notJSON):2: not JSON"))
    }
}
