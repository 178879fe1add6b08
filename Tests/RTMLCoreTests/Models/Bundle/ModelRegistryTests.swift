import Foundation
import RTMLCore
import Testing

@Suite struct ModelRegistryTests {
    /// A registry `models/recs` with versions 1...n, each with rmse 0.1 × version.
    func registry(_ dir: TempDir, versions n: Int) throws -> ModelRegistry {
        let registry = ModelRegistry(path: dir.path("models/recs"))
        for v in 1...n {
            let registered = try registry.register(BundleFixtures.sample(seed: UInt64(v), rmse: 0.1 * Double(v)))
            #expect(registered == RegisteredModel(name: "recs", version: v, path: dir.path("models/recs/\(v)")))
        }
        return registry
    }

    @Test func registeringNumbersVersionsFromOne() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 3)
        #expect(try registry.versions() == [1, 2, 3])
        #expect(try registry.latestVersion() == 3)
        let loaded = try ModelBundle.load(from: registry.versionPath(2))
        #expect(loaded.metrics["rmse"] == .double(0.2))
        #expect(loaded.artifactPath == "recs")
        #expect(try FileManager.default.contentsOfDirectory(atPath: registry.path).sorted() == ["1", "2", "3"])
    }

    @Test func referencesResolveToVersionDirectories() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 3)
        try registry.setAlias("champion", version: 2)
        let base = registry.path

        #expect(try ModelRegistry.resolve(base) == ResolvedModel(path: base + "/3", name: "recs", version: 3, alias: nil))
        #expect(try ModelRegistry.resolve(base + "/") == ResolvedModel(path: base + "/3", name: "recs", version: 3, alias: nil))
        #expect(try ModelRegistry.resolve(base + "/1") == ResolvedModel(path: base + "/1", name: "recs", version: 1, alias: nil))
        #expect(try ModelRegistry.resolve(base + "@champion") == ResolvedModel(path: base + "/2", name: "recs", version: 2, alias: "champion"))
        #expect(try ModelRegistry.resolve(base + "@latest").version == 3)
        #expect(try ModelRegistry.resolve(base + "@champion").load().metrics["rmse"] == .double(0.2))

        // A plain bundle directory outside any registry.
        let plain = dir.path("elsewhere/bundle")
        try BundleFixtures.sample().write(to: plain)
        #expect(try ModelRegistry.resolve(plain) == ResolvedModel(path: plain, name: nil, version: nil, alias: nil))
    }

    @Test func latestFollowsNewRegistrations() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 1)
        #expect(try ModelRegistry.resolve(registry.path).version == 1)
        try registry.register(BundleFixtures.sample(seed: 9))
        #expect(try ModelRegistry.resolve(registry.path).version == 2)
    }

    @Test func unresolvableReferencesSayWhatExists() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 2)
        let base = registry.path
        #expect(rtmlError { _ = try ModelRegistry.resolve(base + "@prod") }?.message == "\(base): no alias 'prod' (no aliases are set)")
        try registry.setAlias("champion", version: 1)
        try registry.setAlias("challenger", version: 2)
        let unknown = rtmlError { _ = try ModelRegistry.resolve(base + "@prod") }
        #expect(unknown?.message == "\(base): no alias 'prod' (known aliases: challenger, champion)")
        #expect(unknown?.status == .error)
        #expect(rtmlError { _ = try ModelRegistry.resolve(base + "/7") }?.message == "\(base): no version 7 (versions: 1, 2)")
        #expect(rtmlError { _ = try ModelRegistry.resolve(dir.path("models/nope")) }?.message == "\(dir.path("models/nope")): no such model bundle or registry")
        #expect(rtmlError { _ = try ModelRegistry.resolve(dir.path("models/nope@x")) }?.message == "\(dir.path("models/nope")): no such model registry")
        #expect(rtmlError { _ = try ModelRegistry.resolve(dir.path("models")) }?.message.hasSuffix("not a model bundle or registry (no MLmodel, no numbered versions, no aliases.json)") == true)
        #expect(rtmlError { _ = try ModelRegistry.resolve(dir.path("models@x")) }?.message == "\(dir.path("models")): not a model registry (no numbered versions, no aliases.json)")
        #expect(rtmlError { _ = try ModelRegistry.resolve(base + "@") }?.status == .usage)

        let empty = ModelRegistry(path: dir.path("models/empty"))
        try FileManager.default.createDirectory(atPath: empty.path + "/1", withIntermediateDirectories: true)
        #expect(rtmlError { _ = try ModelRegistry.resolve(empty.path) }?.message == "\(empty.path): the registry has no versions yet")
    }

    @Test func anAliasToADeletedVersionIsReported() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 2)
        try registry.setAlias("champion", version: 2)
        try FileManager.default.removeItem(atPath: registry.versionPath(2))
        #expect(rtmlError { _ = try ModelRegistry.resolve(registry.path + "@champion") }?.message
            == "\(registry.path): alias 'champion' points to version 2, which does not exist (versions: 1)")
    }

    @Test func aliasesAreValidatedAndStoredAsJSON() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 3)
        try registry.setAlias("champion", version: 3)
        try registry.setAlias("challenger", version: 1)
        try registry.setAlias("champion", version: 2)
        #expect(try JSONValue.parse(BundleFixtures.text(registry.path + "/aliases.json"), source: "a")
            == .object([("challenger", .int(1)), ("champion", .int(2))]))
        #expect(try registry.version(forAlias: "champion") == 2)

        #expect(rtmlError { try registry.setAlias("champion", version: 9) }?.message == "\(registry.path): no version 9 to alias (versions: 1, 2, 3)")
        #expect(rtmlError { try registry.setAlias("3", version: 1) }?.status == .usage)
        #expect(rtmlError { try registry.setAlias("a/b", version: 1) }?.status == .usage)
        #expect(rtmlError { try registry.setAlias("latest", version: 1) }?.message.contains("reserved") == true)

        try registry.removeAlias("challenger")
        #expect(try registry.aliases().map(\.alias) == ["champion"])
        #expect(rtmlError { try registry.removeAlias("challenger") }?.message == "\(registry.path): no alias 'challenger' (known aliases: champion)")
        // No temp or lock debris beyond the lock file itself.
        #expect(try FileManager.default.contentsOfDirectory(atPath: registry.path).sorted() == [".aliases.lock", "1", "2", "3", "aliases.json"])
    }

    @Test func listingShowsAliasesAndHeadlineMetrics() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 3)
        try registry.setAlias("champion", version: 2)
        try registry.setAlias("best", version: 2)
        // A damaged version is listed with its problem instead of failing the listing.
        try BundleFixtures.write(registry.versionPath(3) + "/MLmodel", "flavors: [\n")
        let entries = try registry.list()
        #expect(entries.map(\.version) == [1, 2, 3])
        #expect(entries[1].aliases == ["best", "champion"])
        #expect(entries[0].aliases.isEmpty)
        #expect(entries[1].metrics["rmse"] == .double(0.2))
        #expect(entries[1].kind == "als")
        #expect(entries[1].trainingWindow == BundleFixtures.sample().trainingWindow)
        #expect(entries[2].kind == nil)
        #expect(entries[1].json["aliases"] == .array([.string("best"), .string("champion")]))
        #expect(entries[1].json["metrics"]?["rmse"] == .double(0.2))
        #expect(entries[1].json["trainingWindow"]?["from"] == .string("2026-11-30T00:00:00.000Z"))
        #expect(entries[2].json["problem"] != nil && entries[2].json["kind"] == nil)
        #expect(entries[2].problem?.contains("/3/MLmodel:1: flow collections are not supported") == true, "\(entries[2].problem ?? "")")
    }

    @Test func anEmptyClaimedVersionIsSkippedAndItsNumberNotReused() throws {
        let dir = TempDir()
        let registry = try registry(dir, versions: 2)
        // What a crash between claiming "3" and moving the bundle in leaves behind.
        try FileManager.default.createDirectory(atPath: registry.versionPath(3), withIntermediateDirectories: false)
        #expect(try registry.versions() == [1, 2])
        #expect(try ModelRegistry.resolve(registry.path).version == 2)
        #expect(try registry.register(BundleFixtures.sample()).version == 4)
    }

    /// Two threads registering at once must never share a version number,
    /// and every registration must land whole.
    @Test func concurrentRegistrationsGetDistinctVersions() throws {
        let dir = TempDir()
        let registry = ModelRegistry(path: dir.path("models/race"))
        let perThread = 12
        let results = RegistrationResults()
        let group = DispatchGroup()
        for thread in 0..<2 {
            group.enter()
            Thread {
                defer { group.leave() }
                for i in 0..<perThread {
                    do {
                        let r = try registry.register(BundleFixtures.sample(seed: UInt64(thread * 100 + i), rmse: Double(thread * 100 + i)))
                        results.add(version: r.version)
                    } catch {
                        results.add(failure: "\(error)")
                    }
                }
            }.start()
        }
        group.wait()
        let (got, failures) = results.snapshot()
        #expect(failures.isEmpty, "\(failures)")
        #expect(got.count == 2 * perThread)
        #expect(got.sorted() == Array(1...(2 * perThread)))
        // Each version holds the bundle its registration wrote, and all verify.
        var rmses: Set<Double> = []
        for version in 1...(2 * perThread) {
            let bundle = try ModelBundle.load(from: registry.versionPath(version))
            rmses.insert(bundle.metrics["rmse"]?.doubleValue ?? -1)
        }
        let written = (0..<perThread).flatMap { [Double($0), Double(100 + $0)] }
        #expect(rmses == Set(written))
        #expect(try FileManager.default.contentsOfDirectory(atPath: registry.path).allSatisfy { Int($0) != nil })
    }
}

private final class RegistrationResults: @unchecked Sendable {
    private let lock = NSLock()
    private var versions: [Int] = []
    private var failures: [String] = []

    func add(version: Int) { lock.withLock { versions.append(version) } }
    func add(failure: String) { lock.withLock { failures.append(failure) } }
    func snapshot() -> ([Int], [String]) { lock.withLock { (versions, failures) } }
}
