import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory `models/NAME/` of numbered bundle versions `1/`, `2/`, ...
/// and `aliases.json` (`{"champion": 3}`), in the spirit of MLflow's model
/// registry but made of plain files.
///
/// Registering never overwrites: the next number is claimed with `mkdir`
/// (atomic, so two writers racing can never get the same number; the loser
/// takes the next one) and the staged bundle is renamed onto it. An empty
/// numbered directory is a registration in progress (or one a crash cut
/// short) and is skipped. `aliases.json` is replaced atomically (temp file +
/// rename) under an advisory lock, so concurrent alias updates are not lost.
public struct ModelRegistry: Sendable {
    public static let aliasesFile = "aliases.json"
    private static let lockFile = ".aliases.lock"

    /// The registry directory, e.g. `models/recs`.
    public let path: String

    public init(path: String) {
        self.path = BundleFileSystem.trimmed(path)
    }

    /// The model's name: the registry directory's last component.
    public var name: String { BundleFileSystem.basename(path) }

    public func versionPath(_ version: Int) -> String {
        BundleFileSystem.join(path, String(version))
    }

    // MARK: Registering

    /// Writes `bundle` as the next version (creating the registry if needed)
    /// and returns where it went.
    @discardableResult
    public func register(_ bundle: ModelBundle) throws -> RegisteredModel {
        try BundleFileSystem.makeDirectories(path)
        var bundle = bundle
        bundle.artifactPath = name
        let (staging, _) = try bundle.stage(in: path)
        do {
            // Each collision means another writer took that number; re-reading
            // the directory finds the new highest one.
            for _ in 0..<10_000 {
                let version = (try versionNumbers().max() ?? 0) + 1
                if try ModelBundle.place(staging, at: versionPath(version)) {
                    return RegisteredModel(name: name, version: version, path: versionPath(version))
                }
            }
            throw RTMLError("\(path): could not claim a new version number (too many concurrent writers)")
        } catch {
            BundleFileSystem.removeTree(staging)
            throw error
        }
    }

    // MARK: Versions

    /// Every numbered directory, including empty ones (claimed by a registration in progress).
    private func versionNumbers() throws -> [Int] {
        try BundleFileSystem.list(path).compactMap(ModelRegistry.versionNumber)
    }

    /// `"3"` → 3; nil for anything that is not a plain positive decimal.
    static func versionNumber(_ name: String) -> Int? {
        guard let first = name.utf8.first, first != UInt8(ascii: "0"), name.utf8.count <= 18,
              name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return nil }
        return Int(name)
    }

    /// The versions that hold a bundle (or at least something), ascending.
    public func versions() throws -> [Int] {
        guard BundleFileSystem.kind(path) == .directory else {
            throw RTMLError("\(path): no such model registry")
        }
        return try versionNumbers().filter { version in
            let dir = versionPath(version)
            return BundleFileSystem.kind(dir) == .directory && !((try? BundleFileSystem.list(dir))?.isEmpty ?? true)
        }.sorted()
    }

    /// The highest version, or nil when none is registered yet.
    public func latestVersion() throws -> Int? {
        try versions().last
    }

    /// Each version with its aliases and MLmodel's headline facts, ascending.
    /// A version whose MLmodel cannot be read is listed with `problem` set
    /// rather than failing the whole listing.
    public func list() throws -> [RegistryEntry] {
        let aliases = try self.aliases()
        return try versions().map { version in
            let dir = versionPath(version)
            var entry = RegistryEntry(
                version: version, path: dir,
                aliases: aliases.filter { $0.version == version }.map(\.alias)
            )
            do {
                let bundle = try ModelBundle.readMLmodel(dir)
                entry.kind = bundle.kind
                entry.modelUUID = bundle.modelUUID
                entry.createdAt = bundle.createdAt
                entry.metrics = bundle.metrics
                entry.trainingWindow = bundle.trainingWindow
            } catch let error as RTMLError {
                entry.problem = error.message
            }
            return entry
        }
    }

    // MARK: Aliases

    /// Whether `path` looks like a registry: a directory holding `aliases.json` or a numbered version.
    public static func isRegistry(_ path: String) -> Bool {
        guard BundleFileSystem.kind(path) == .directory else { return false }
        if BundleFileSystem.kind(BundleFileSystem.join(path, aliasesFile)) == .file { return true }
        let names = (try? BundleFileSystem.list(path)) ?? []
        return names.contains { versionNumber($0) != nil && BundleFileSystem.kind(BundleFileSystem.join(path, $0)) == .directory }
    }

    /// The aliases, sorted by name; empty when `aliases.json` does not exist.
    public func aliases() throws -> [(alias: String, version: Int)] {
        let file = BundleFileSystem.join(path, ModelRegistry.aliasesFile)
        guard let bytes = try BundleFileSystem.readFile(file) else { return [] }
        guard let members = try JSONValue.parse(bytes, source: file).objectMembers else {
            throw RTMLError("\(file): must be one JSON object of alias to version, like {\"champion\": 3}")
        }
        return try members.map { alias, value in
            guard let version = value.intValue, version >= 1 else {
                throw RTMLError("\(file): alias '\(alias)' must map to a version number")
            }
            return (alias, version)
        }.sorted { $0.alias < $1.alias }
    }

    /// The version an alias points to, or nil.
    public func version(forAlias alias: String) throws -> Int? {
        try aliases().first { $0.alias == alias }?.version
    }

    /// Points `alias` at `version` (which must exist), replacing any earlier target.
    public func setAlias(_ alias: String, version: Int) throws {
        try ModelRegistry.validateAlias(alias)
        guard try versions().contains(version) else {
            throw RTMLError("\(path): no version \(version) to alias (versions: \(try versionListText()))")
        }
        try updateAliases { aliases in
            aliases.removeAll { $0.alias == alias }
            aliases.append((alias, version))
        }
    }

    /// Removes `alias`; an error when it is not set.
    public func removeAlias(_ alias: String) throws {
        try updateAliases { aliases in
            guard aliases.contains(where: { $0.alias == alias }) else {
                throw RTMLError("\(path): no alias '\(alias)' \(ModelRegistry.knownText(aliases.map(\.alias)))")
            }
            aliases.removeAll { $0.alias == alias }
        }
    }

    /// Alias names start with a letter and hold letters, digits, '_' and '-';
    /// `latest` is reserved for the highest version.
    public static func validateAlias(_ alias: String) throws {
        let bytes = Array(alias.utf8)
        guard let first = bytes.first, (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A,
              bytes.allSatisfy({ ModelBundle.isNameByte($0) && $0 != UInt8(ascii: ".") })
        else {
            throw RTMLError.usage("alias '\(alias)' must start with a letter and hold only letters, digits, '_' and '-'")
        }
        guard alias != "latest" else {
            throw RTMLError.usage("alias 'latest' is reserved: '@latest' always means the highest version")
        }
    }

    private func updateAliases(_ change: (inout [(alias: String, version: Int)]) throws -> Void) throws {
        let lockPath = BundleFileSystem.join(path, ModelRegistry.lockFile)
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RTMLError("\(lockPath): cannot open: \(BundleFileSystem.errnoText())") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw RTMLError("\(lockPath): cannot lock: \(BundleFileSystem.errnoText())") }
        }
        defer { flock(fd, LOCK_UN) }
        var aliases = try self.aliases()
        try change(&aliases)
        aliases.sort { $0.alias < $1.alias }
        let json = JSONValue.object(aliases.map { ($0.alias, .int($0.version)) }).rendered(pretty: true) + "\n"
        try BundleFileSystem.replaceFile(BundleFileSystem.join(path, ModelRegistry.aliasesFile), Array(json.utf8))
    }

    private func versionListText() throws -> String {
        let all = try versions()
        return all.isEmpty ? "none yet" : all.map(String.init).joined(separator: ", ")
    }

    static func knownText(_ aliases: [String]) -> String {
        aliases.isEmpty ? "(no aliases are set)" : "(known aliases: \(aliases.joined(separator: ", ")))"
    }

    // MARK: References

    /// Resolves a model reference to a bundle directory:
    ///
    /// - `models/recs@champion`: the version the alias points to (`@latest`: the highest);
    /// - `models/recs/3`: version 3;
    /// - `models/recs`: the highest version;
    /// - any directory holding an MLmodel file: that bundle.
    ///
    /// The bundle itself is not read; call `load()` on the result.
    public static func resolve(_ reference: String) throws -> ResolvedModel {
        guard !reference.isEmpty else { throw RTMLError.usage("empty model reference") }
        let trimmed = BundleFileSystem.trimmed(reference)
        // An existing directory wins, so a path that happens to hold '@' still works.
        if BundleFileSystem.kind(trimmed) != .directory, let at = trimmed.lastIndex(of: "@") {
            let registryPath = String(trimmed[..<at])
            let alias = String(trimmed[trimmed.index(after: at)...])
            guard !registryPath.isEmpty, !alias.isEmpty else {
                throw RTMLError.usage("model reference '\(reference)' must look like models/NAME@ALIAS")
            }
            let registry = try openExisting(registryPath)
            if alias == "latest" {
                guard let version = try registry.latestVersion() else { throw noVersions(registry) }
                return ResolvedModel(path: registry.versionPath(version), name: registry.name, version: version, alias: alias)
            }
            let aliases = try registry.aliases()
            guard let version = aliases.first(where: { $0.alias == alias })?.version else {
                throw RTMLError("\(registry.path): no alias '\(alias)' \(knownText(aliases.map(\.alias)))")
            }
            guard try registry.versions().contains(version) else {
                throw RTMLError("\(registry.path): alias '\(alias)' points to version \(version), which does not exist (versions: \(try registry.versionListText()))")
            }
            return ResolvedModel(path: registry.versionPath(version), name: registry.name, version: version, alias: alias)
        }

        let parent = BundleFileSystem.parent(of: trimmed)
        let last = BundleFileSystem.basename(trimmed)
        switch BundleFileSystem.kind(trimmed) {
        case .directory:
            if BundleFileSystem.kind(BundleFileSystem.join(trimmed, ModelBundle.mlmodelFile)) == .file {
                if let version = versionNumber(last), isRegistry(parent) {
                    return ResolvedModel(path: trimmed, name: BundleFileSystem.basename(parent), version: version, alias: nil)
                }
                return ResolvedModel(path: trimmed, name: nil, version: nil, alias: nil)
            }
            if isRegistry(trimmed) {
                let registry = ModelRegistry(path: trimmed)
                guard let version = try registry.latestVersion() else { throw noVersions(registry) }
                return ResolvedModel(path: registry.versionPath(version), name: registry.name, version: version, alias: nil)
            }
            if versionNumber(last) != nil, isRegistry(parent) {
                throw RTMLError("\(trimmed): version directory has no \(ModelBundle.mlmodelFile) (an unfinished or damaged registration)")
            }
            throw RTMLError("\(trimmed): not a model bundle or registry (no \(ModelBundle.mlmodelFile), no numbered versions, no \(aliasesFile))")
        case .missing:
            if let version = versionNumber(last), isRegistry(parent) {
                let registry = ModelRegistry(path: parent)
                throw RTMLError("\(registry.path): no version \(version) (versions: \(try registry.versionListText()))")
            }
            throw RTMLError("\(trimmed): no such model bundle or registry")
        case .file, .other:
            throw RTMLError("\(trimmed): not a directory; a model is a bundle directory or a registry")
        }
    }

    private static func openExisting(_ path: String) throws -> ModelRegistry {
        switch BundleFileSystem.kind(path) {
        case .missing: throw RTMLError("\(path): no such model registry")
        case .directory where isRegistry(path): return ModelRegistry(path: path)
        default: throw RTMLError("\(path): not a model registry (no numbered versions, no \(aliasesFile))")
        }
    }

    private static func noVersions(_ registry: ModelRegistry) -> RTMLError {
        RTMLError("\(registry.path): the registry has no versions yet")
    }
}

/// Where `ModelRegistry.register` put a bundle.
public struct RegisteredModel: Sendable, Equatable {
    public var name: String
    public var version: Int
    /// The version directory, e.g. `models/recs/3`.
    public var path: String

    public init(name: String, version: Int, path: String) {
        self.name = name
        self.version = version
        self.path = path
    }
}

/// What a model reference named.
public struct ResolvedModel: Sendable, Equatable {
    /// The bundle directory.
    public var path: String
    /// The registry's name when the bundle is a registry version.
    public var name: String?
    public var version: Int?
    /// The alias the reference went through, if any.
    public var alias: String?

    public init(path: String, name: String?, version: Int?, alias: String?) {
        self.path = path
        self.name = name
        self.version = version
        self.alias = alias
    }

    /// Loads and verifies the bundle.
    public func load() throws -> ModelBundle {
        try ModelBundle.load(from: path)
    }
}

/// One line of a registry listing.
public struct RegistryEntry: Sendable {
    public var version: Int
    public var path: String
    public var aliases: [String]
    public var kind: String?
    public var modelUUID: String?
    /// Epoch milliseconds.
    public var createdAt: Int64?
    /// MLmodel's headline metrics (a JSON object).
    public var metrics: JSONValue = .object([])
    public var trainingWindow: TrainingWindow?
    /// Why MLmodel could not be read, when it could not.
    public var problem: String?

    init(version: Int, path: String, aliases: [String]) {
        self.version = version
        self.path = path
        self.aliases = aliases
    }

    /// The entry as one JSON object, for `--stats` files and scripts.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("version", .int(version)),
            ("path", .string(path)),
            ("aliases", .array(aliases.map { .string($0) })),
        ]
        if let kind { members.append(("kind", .string(kind))) }
        if let createdAt { members.append(("created", .string(EventTime.formatRFC3339(createdAt)))) }
        if let trainingWindow {
            members.append(("trainingWindow", .object([
                ("from", .string(EventTime.formatRFC3339(trainingWindow.from))),
                ("to", .string(EventTime.formatRFC3339(trainingWindow.to))),
            ])))
        }
        if let modelUUID { members.append(("modelUuid", .string(modelUUID))) }
        members.append(("metrics", metrics))
        if let problem { members.append(("problem", .string(problem))) }
        return .object(members)
    }
}
