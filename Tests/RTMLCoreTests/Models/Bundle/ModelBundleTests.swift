import Foundation
import RTMLCore
import Testing

@Suite struct ModelBundleTests {
    @Test func writeThenLoadGivesBackEverything() throws {
        let dir = TempDir()
        let original = BundleFixtures.sample()
        let path = dir.path("bundle")
        let files = try original.write(to: path)
        #expect(files.map(\.name) == ["model.json", "metrics.json", "user_factors.bin", "item_bias.bin"])

        let loaded = try ModelBundle.load(from: path)
        #expect(loaded.kind == "als")
        #expect(loaded.params == original.params)
        #expect(loaded.metrics == original.metrics)
        #expect(loaded.model == original.model)
        #expect(loaded.signature == original.signature)
        #expect(loaded.trainingWindow == original.trainingWindow)
        #expect(loaded.storeId == original.storeId)
        #expect(loaded.sequenceMapFingerprint == original.sequenceMapFingerprint)
        #expect(loaded.modelUUID == original.modelUUID && loaded.modelUUID.count == 32)
        #expect(loaded.createdAt == original.createdAt)
        #expect(loaded.loadedFormatVersion == 1)
        #expect(loaded.files == files)
        // Bit-exact arrays, each in its own element type.
        #expect(loaded.array(named: "user_factors") == original.array(named: "user_factors"))
        #expect(loaded.array(named: "item_bias")?.doubles == original.array(named: "item_bias")?.doubles)
        #expect(loaded.array(named: "item_bias")?.shape == [5])
    }

    @Test func recordedChecksumsAndSizesAreThoseOfTheFilesOnDisk() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        let files = try BundleFixtures.sample().write(to: path)
        for file in files {
            let (digest, size) = try SHA256.hexDigest(ofFileAtPath: path + "/" + file.name)
            #expect(digest == file.sha256, "\(file.name)")
            #expect(size == file.size)
        }
        // The binary layout: header-free little-endian elements in row-major order.
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/user_factors.bin")))
        #expect(raw.count == 12 * 4)
        let first = UInt32(raw[0]) | UInt32(raw[1]) << 8 | UInt32(raw[2]) << 16 | UInt32(raw[3]) << 24
        #expect(Float(bitPattern: first) == BundleFixtures.sample().array(named: "user_factors")?.floats?[0])
        #expect(try BundleFixtures.text(path + "/model.json").contains("\"coefficients\": {"))
        #expect(try JSONValue.parse(BundleFixtures.text(path + "/metrics.json"), source: "m") == BundleFixtures.sample().metrics)
    }

    @Test func mlmodelUsesMLflowFieldNames() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        let text = try BundleFixtures.text(path + "/MLmodel")
        for line in [
            "artifact_path: model", "flavors:", "  rtml:", "    kind: als", "    format_version: 1", "    files:",
            "      user_factors.bin:", "        dtype: float32", "        byte_order: little",
            "  inputs: '[{\"name\": \"x\", \"type\": \"double\"}, {\"name\": \"user_id\", \"type\": \"string\"}]'",
            "  outputs: '[{\"type\": \"double\"}]'",
            "utc_time_created: '", "model_uuid: ", "metadata:", "  params:", "    factors: 4", "  metrics:",
            "    rmse: 0.25", "  training_window:", "    from: '2026-11-30T00:00:00.000Z'",
            "  store_id: '6f1c2d3e-0000-4000-8000-000000000001'", "  sequence_map_fingerprint: '0123456789abcdef0123456789abcdef'",
        ] {
            #expect(text.contains("\n" + line) || text.hasPrefix(line), "MLmodel lacks \(line)\n\(text)")
        }
    }

    @Test func aFlippedByteInAWeightFileIsRefusedNamingTheFile() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        try BundleFixtures.flipByte(path + "/user_factors.bin", at: 17)
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        #expect(error?.status == .error)
        #expect(error?.message.hasPrefix(path + "/user_factors.bin: sha256 ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("does not match") == true)
    }

    @Test func aChangedModelJSONIsRefused() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        let text = try BundleFixtures.text(path + "/model.json").replacingOccurrences(of: "1.25", with: "9.25")
        try BundleFixtures.write(path + "/model.json", text)
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        #expect(error?.message.hasPrefix(path + "/model.json: sha256 ") == true, "\(error?.message ?? "")")
    }

    @Test func aTruncatedFileIsRefusedWithBothSizes() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        let file = path + "/item_bias.bin"
        #expect(truncate(file, 39) == 0)
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        #expect(error?.status == .error)
        #expect(error?.message == "\(file): 39 bytes, but MLmodel records 40 (the file is truncated or was replaced)")
    }

    @Test func aMissingListedFileIsRefused() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        #expect(unlink(path + "/metrics.json") == 0)
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        #expect(error?.message == "\(path)/metrics.json: missing (MLmodel lists it)")
    }

    @Test func aNewerFormatIsRefusedBeforeAnythingElse() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        // A future format may change anything else too: drop the kind as well.
        let text = try BundleFixtures.text(path + "/MLmodel")
            .replacingOccurrences(of: "format_version: 1", with: "format_version: 2")
            .replacingOccurrences(of: "    kind: als\n", with: "")
        try BundleFixtures.write(path + "/MLmodel", text)
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        #expect(error?.status == .error)
        #expect(error?.message == "\(path): bundle format 2 is newer than this rtml supports (1)")
    }

    @Test(arguments: ["    kind: als\n", "    format_version: 1\n", "model_uuid: ", "  outputs: "])
    func aMissingMLmodelFieldIsNamed(line: String) throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        let lines = try BundleFixtures.text(path + "/MLmodel").components(separatedBy: "\n")
        let kept = lines.filter { !($0 + "\n").hasPrefix(line) }
        #expect(kept.count == lines.count - 1)
        try BundleFixtures.write(path + "/MLmodel", kept.joined(separator: "\n"))
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        let field = ["    kind: als\n": "flavors.rtml.kind", "    format_version: 1\n": "flavors.rtml.format_version",
                     "model_uuid: ": "model_uuid", "  outputs: ": "signature.outputs"][line]!
        #expect(error?.message == "\(path)/MLmodel: missing field \(field)")
    }

    @Test func malformedMLmodelNamesTheLine() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        var lines = try BundleFixtures.text(path + "/MLmodel").components(separatedBy: "\n")
        lines[2] = "  rtml: !!python/object:os.system"
        try BundleFixtures.write(path + "/MLmodel", lines.joined(separator: "\n"))
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        #expect(error?.message.hasPrefix("\(path)/MLmodel:3: tags are not supported") == true, "\(error?.message ?? "")")
    }

    @Test func aFileNameLeavingTheBundleIsRefused() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample().write(to: path)
        let text = try BundleFixtures.text(path + "/MLmodel").replacingOccurrences(of: "      metrics.json:", with: "      ../metrics.json:")
        try BundleFixtures.write(path + "/MLmodel", text)
        let error = rtmlError { _ = try ModelBundle.load(from: path) }
        #expect(error?.message.contains("'../metrics.json' is not a file name inside the bundle") == true, "\(error?.message ?? "")")
    }

    @Test func aDirectoryWithoutMLmodelIsNotABundle() throws {
        let dir = TempDir()
        let error = rtmlError { _ = try ModelBundle.load(from: dir.url.path) }
        #expect(error?.message == "\(dir.url.path): not a model bundle (no MLmodel file)")
    }

    @Test func writingNeverOverwritesAndLeavesNoStagingBehind() throws {
        let dir = TempDir()
        let path = dir.path("bundle")
        try BundleFixtures.sample(seed: 1).write(to: path)
        let error = rtmlError { try BundleFixtures.sample(seed: 2).write(to: path) }
        #expect(error?.message == "\(path): already exists; a bundle is never overwritten")
        #expect(try ModelBundle.load(from: path).array(named: "user_factors") == BundleFixtures.sample(seed: 1).array(named: "user_factors"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["bundle"])
    }

    @Test func inconsistentArraysAreRefusedBeforeWriting() throws {
        let dir = TempDir()
        var bundle = BundleFixtures.sample()
        bundle.arrays = [WeightArray(name: "w", shape: [2, 2], float32: [1, 2, 3])]
        #expect(rtmlError { try bundle.write(to: dir.path("a")) }?.message.contains("has 3 elements but shape [2, 2]") == true)
        bundle.arrays = [WeightArray(name: "../w", shape: [1], float32: [1])]
        #expect(rtmlError { try bundle.write(to: dir.path("b")) }?.message.contains("must be letters, digits") == true)
        bundle.arrays = [WeightArray(name: "w", shape: [1], float32: [1]), WeightArray(name: "w", shape: [1], float64: [1])]
        #expect(rtmlError { try bundle.write(to: dir.path("c")) }?.message.contains("is used twice") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }

    @Test func emptyAndScalarArraysRoundTrip() throws {
        let dir = TempDir()
        var bundle = BundleFixtures.sample()
        bundle.arrays = [WeightArray(name: "none", shape: [0, 4], float32: []), WeightArray(name: "one", shape: [], float64: [2.5])]
        try bundle.write(to: dir.path("b"))
        let loaded = try ModelBundle.load(from: dir.path("b"))
        #expect(loaded.array(named: "none") == bundle.array(named: "none"))
        #expect(loaded.array(named: "one")?.doubles == [2.5])
        #expect(loaded.array(named: "one")?.shape == [])
    }

    @Test func aStaleSequenceMapIsRefusedUnlessAllowed() throws {
        let dir = TempDir()
        try BundleFixtures.sample().write(to: dir.path("b"))
        let loaded = try ModelBundle.load(from: dir.path("b"))
        #expect(loaded.path == dir.path("b"))
        try loaded.checkSequenceMap(storeFingerprint: "0123456789abcdef0123456789abcdef", store: "blue.db")
        let error = rtmlError { try loaded.checkSequenceMap(storeFingerprint: "ffff", store: "stores/green.db") }
        #expect(error?.status == .error)
        #expect(error?.message.hasPrefix("\(dir.path("b")): trained on sequence map 0123456789abcdef0123456789abcdef, but store stores/green.db has ffff;") == true)
        try loaded.checkSequenceMap(storeFingerprint: "ffff", store: "stores/green.db", allowStale: true)
        var noIds = loaded
        noIds.sequenceMapFingerprint = nil
        try noIds.checkSequenceMap(storeFingerprint: "ffff", store: "stores/green.db")
    }
}
