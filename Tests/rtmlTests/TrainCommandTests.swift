import Foundation
import Testing

@Suite struct TrainCommandTests {
    @Test func alsBeatsPopularityAndRecordsTheStoresFingerprint() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let result = try RTML.run(["train", "als", "--store", f.blue, "--factors", "16", "--iterations", "8", "-o", dir.path("recs")])
        #expect(result.status == 0, "\(result.stderr)")
        let out = parseJSON(result.stdoutText)
        let metrics = try #require(out["metrics"] as? [String: Double])
        // The simulator gives users lasting item tastes: ALS must find them.
        #expect(metrics["recall_at_10"]! > metrics["baseline_recall_at_10"]!)
        #expect(metrics["ndcg_at_10"]! > metrics["baseline_ndcg_at_10"]!)
        #expect(result.stderr.contains("popularity  recall"))
        let mlmodel = dir.read("recs/1/MLmodel")
        let fingerprint = try FixtureStore.sqlite(f.blue, "SELECT value FROM meta WHERE key = 'sequence_map_fingerprint'")
        #expect(fingerprint.count == 32)
        #expect(mlmodel.contains("sequence_map_fingerprint: '\(fingerprint)'") || mlmodel.contains("sequence_map_fingerprint: \(fingerprint)"))
        #expect(mlmodel.contains("store_id:"))
        for file in ["user_factors.bin", "item_factors.bin", "popularity.bin", "model.json", "metrics.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.path("recs/1/\(file)")), "\(file)")
        }
    }

    @Test func alsIsDeterministicForASeed() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        for _ in 0..<2 {
            let r = try RTML.run(["train", "als", "--store", f.blue, "--factors", "8", "--iterations", "3", "--seed", "9", "-q", "-o", dir.path("r")])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = FileManager.default.contents(atPath: dir.path("r/1/user_factors.bin"))
        let b = FileManager.default.contents(atPath: dir.path("r/2/user_factors.bin"))
        #expect(a != nil && a == b)
        #expect(FileManager.default.contents(atPath: dir.path("r/1/item_factors.bin")) == FileManager.default.contents(atPath: dir.path("r/2/item_factors.bin")))
    }

    @Test func logisticNextCategoryBeatsThePriorsAndExportsItsRows() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let result = try RTML.run([
            "train", "logistic", "--store", f.blue, "--label", "next-category", "--horizon", "30m",
            "--export-rows", dir.path("rows.ndjson"), "-o", dir.path("nextcat"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let metrics = try #require(parseJSON(result.stdoutText)["metrics"] as? [String: Any])
        let loss = try #require(metrics["test_log_loss"] as? Double)
        let baseline = try #require(metrics["baseline_test_log_loss"] as? Double)
        #expect(loss < baseline)
        #expect((metrics["test_auc"] as? Double ?? 0) > 0.55)
        let trainRows = try #require(metrics["rows_train"] as? Int)
        let testRows = try #require(metrics["rows_test"] as? Int)
        let rows = dir.lines("rows.ndjson").map(parseJSON)
        #expect(rows.count == trainRows + testRows)
        #expect(rows.filter { $0["split"] as? String == "train" }.count == trainRows)
        // Time split: every training row is earlier than every test row.
        let trainTimes = rows.filter { $0["split"] as? String == "train" }.compactMap { $0["time"] as? Int }
        let testTimes = rows.filter { $0["split"] as? String == "test" }.compactMap { $0["time"] as? Int }
        #expect(trainTimes.max()! < testTimes.min()!)
        #expect(Set(rows.compactMap { $0["target"] as? String }).isSubset(of: ["sleep", "focus", "move", "meditate", "stress"]))
        let model = parseJSON(dir.read("nextcat/1/model.json"))
        #expect((model["classes"] as? [String])?.count == 5)
        let coefficients = try #require(model["coefficients"] as? [String: [String: Double]])
        #expect(coefficients["sleep"]?["hour_cos"] != nil)
    }

    @Test func completeLabelTrainsABinaryModel() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let result = try RTML.run(["train", "logistic", "--store", f.blue, "--label", "complete:sleep", "-q", "-o", dir.path("m")])
        #expect(result.status == 0, "\(result.stderr)")
        let model = parseJSON(dir.read("m/1/model.json"))
        #expect(model["classes"] as? [String] == ["0", "1"])
        #expect((model["coefficients"] as? [String: Any])?.keys.sorted() == ["1"])
    }

    @Test func elasticNetOnATableMatchesScikitLearnThroughTheBinary() throws {
        let dir = Workdir()
        // Deterministic rows: y depends on x0, x1, not x2; x3 = 2·x0 (collinear).
        var rng = UInt64(12345)
        func next() -> Double {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Double(rng >> 11) / Double(1 << 53) - 0.5
        }
        var x: [[Double]] = []
        var y: [Double] = []
        var csv = "x0,x1,x2,x3,y\n"
        for _ in 0..<200 {
            let row = [next(), next(), next()]
            let full = row + [2 * row[0]]
            let target = 3 * row[0] - 2 * row[1] + 0.1 * next() + 1
            x.append(full)
            y.append(target)
            csv += full.map { "\($0)" }.joined(separator: ",") + ",\(target)\n"
        }
        dir.write("rows.csv", csv)
        let result = try RTML.run([
            "train", "elasticnet", "--data", dir.path("rows.csv"), "--target", "y", "--alpha", "0.01", "--l1-ratio", "0.7",
            "--tol", "1e-12", "--max-iter", "100000", "--test-fraction", "0", "-q", "-o", dir.path("enet"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let model = parseJSON(dir.read("enet/1/model.json"))
        let coefficients = try #require(model["coefficients"] as? [String: Double])
        let intercept = try #require(model["intercept"] as? Double)

        let input: [String: Any] = ["x": x, "y": y, "alpha": 0.01, "l1_ratio": 0.7, "tol": 1e-12, "max_iter": 100000]
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: dir.path("in.json")))
        let script = RTML.packageRoot.appendingPathComponent("Tests/python/sklearn_parity.py").path
        let reference = parseJSON(try RTML.shell(["python3", script, "elasticnet", dir.path("in.json")]).stdoutText)
        if let skip = reference["skip"] as? String {
            print("skip: scikit-learn parity of rtml train elasticnet: \(skip)")
            return
        }
        let coef = try #require(reference["coef"] as? [Double])
        for (j, name) in ["x0", "x1", "x2", "x3"].enumerated() {
            #expect(abs(coefficients[name]! - coef[j]) < 1e-6, "\(name): \(coefficients[name]!) vs \(coef[j])")
        }
        #expect(abs(intercept - (reference["intercept"] as! Double)) < 1e-6)
    }

    /// Iteration lines go to stderr on a terminal; the tests' stderr is a pipe, where
    /// they appear only with --progress (and never on stdout, which is the result line).
    @Test func everyKindPrintsIterationsWithProgressAndOnlyThen() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        dir.write("rows.csv", "a,b,y\n" + (0..<60).map { "\($0 % 9),\($0 % 4),\($0 % 3 == 0 ? "yes" : "no")" }.joined(separator: "\n") + "\n")
        dir.write("reg.csv", "a,b,y\n" + (0..<60).map { "\($0 % 9),\($0 % 4),\(2 * ($0 % 9) - ($0 % 4))" }.joined(separator: "\n") + "\n")
        let runs: [(kind: String, args: [String], firstLine: String)] = [
            ("elasticnet", ["--data", dir.path("reg.csv"), "--target", "y", "--alpha", "0.01"], "  iteration 1  loss "),
            ("logistic", ["--data", dir.path("rows.csv"), "--target", "y"], "  iteration 1  loss "),
            ("als", ["--store", f.blue, "--factors", "4", "--iterations", "2"], "  iteration 1/2  loss "),
        ]
        for run in runs {
            let shown = try RTML.run(["train", run.kind] + run.args + ["--progress"])
            #expect(shown.status == 0, "\(shown.stderr)")
            let lines = shown.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("  iteration ") }
            #expect(lines.first?.hasPrefix(run.firstLine) == true, "\(run.kind): \(shown.stderr)")
            #expect(!shown.stdoutText.contains("  iteration "))
            if run.kind == "elasticnet" { #expect(lines.first?.contains("max |Δw|/|w|") == true, "\(lines)") }
            if run.kind == "logistic" { #expect(lines.first?.contains("max |gradient|") == true, "\(lines)") }
            if run.kind == "als" { #expect(lines.count == 2 && lines[1].hasPrefix("  iteration 2/2  loss "), "\(lines)") }
            // Same fit with and without the lines.
            let hidden = try RTML.run(["train", run.kind] + run.args)
            #expect(hidden.status == 0, "\(hidden.stderr)")
            #expect(!hidden.stderr.contains("  iteration "), "\(run.kind): \(hidden.stderr)")
            let a = try #require(parseJSON(shown.stdoutText)["metrics"] as? [String: Any])
            let b = try #require(parseJSON(hidden.stdoutText)["metrics"] as? [String: Any])
            for key in a.keys where !key.contains("seconds") {
                #expect("\(a[key]!)" == "\(b[key]!)", "\(run.kind) \(key)")
            }
        }
    }

    @Test func registryNumbersVersionsMovesAliasesAndLists() throws {
        let dir = Workdir()
        dir.write("rows.ndjson", (0..<40).map { "{\"a\":\($0),\"b\":\($0 % 7),\"y\":\(2 * $0 + 1)}" }.joined(separator: "\n") + "\n")
        for alias in ["champion", "challenger", "champion"] {
            let r = try RTML.run(["train", "elasticnet", "--data", dir.path("rows.ndjson"), "--target", "y", "--alpha", "0.001",
                                  "-q", "-o", dir.path("reg"), "--alias", alias])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.path("reg/3/MLmodel")))
        let aliases = parseJSON(dir.read("reg/aliases.json"))
        #expect(aliases["champion"] as? Int == 3)
        #expect(aliases["challenger"] as? Int == 2)
        let list = try RTML.run(["train", "list", dir.path("reg")])
        #expect(list.status == 0)
        let lines = list.lines
        #expect(lines.count == 4, "\(list.stdoutText)")
        #expect(lines.contains { $0.hasPrefix("3 ") && $0.contains("champion") && $0.contains("test_rmse=") })
        #expect(lines.contains { $0.hasPrefix("2 ") && $0.contains("challenger") })
    }

    @Test func badRequestsFailWithReasons() throws {
        let f = FixtureStore.built
        let noLabel = try RTML.run(["train", "logistic", "--store", f.blue])
        #expect(noLabel.status == 64)
        #expect(noLabel.stderr.contains("--label"))
        let badLabel = try RTML.run(["train", "logistic", "--store", f.blue, "--label", "complete:dance"])
        #expect(badLabel.status == 2)
        #expect(badLabel.stderr.contains("unknown category 'dance'"))
        let dir = Workdir()
        dir.write("t.csv", "a,y\n1,cat\n2,dog\n")
        let textTarget = try RTML.run(["train", "elasticnet", "--data", dir.path("t.csv"), "--target", "y"])
        #expect(textTarget.status == 2)
        #expect(textTarget.stderr.contains("use logistic"))
        let missing = try RTML.run(["train", "als", "--store", dir.path("nope.db")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.db: no such store"))
    }

    @Test func aTamperedTruncatedOrNewerBundleIsRefusedBeforeServing() throws {
        let f = FixtureStore.built
        let dir = Workdir()
        let trained = try RTML.run(["train", "als", "--store", f.blue, "--factors", "4", "--iterations", "2", "-q", "-o", dir.path("m")])
        #expect(trained.status == 0, "\(trained.stderr)")
        let job = Data(#"{"jobId":"j","userId":"u1","eventTime":"2026-11-26T12:00:00Z"}"#.utf8 + [10])
        func serve() throws -> RTML.Result { try RTML.run(["serve-once", "--store", f.blue, "--model", dir.path("m/1")], stdin: job) }
        #expect(try serve().status == 0)
        // One flipped bit in the factors.
        let factors = dir.path("m/1/item_factors.bin")
        var bytes = [UInt8](FileManager.default.contents(atPath: factors)!)
        bytes[17] ^= 0x01
        FileManager.default.createFile(atPath: factors, contents: Data(bytes))
        let tampered = try serve()
        #expect(tampered.status == 2)
        #expect(tampered.stderr.contains("item_factors.bin"), "\(tampered.stderr)")
        // Truncated.
        bytes[17] ^= 0x01
        FileManager.default.createFile(atPath: factors, contents: Data(bytes.prefix(bytes.count - 4)))
        let truncated = try serve()
        #expect(truncated.status == 2)
        #expect(truncated.stderr.contains("item_factors.bin"))
        FileManager.default.createFile(atPath: factors, contents: Data(bytes))
        #expect(try serve().status == 0)
        // A format from a newer rtml.
        let mlmodel = dir.path("m/1/MLmodel")
        let text = try String(contentsOfFile: mlmodel, encoding: .utf8)
        try text.replacingOccurrences(of: "format_version: 1", with: "format_version: 2").write(toFile: mlmodel, atomically: true, encoding: .utf8)
        let newer = try serve()
        #expect(newer.status == 2)
        #expect(newer.stderr.contains("newer than this rtml supports"), "\(newer.stderr)")
    }
}
