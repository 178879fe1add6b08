import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A trained model as a directory in MLflow's layout (docs/models.md).
///
/// ```
/// MLmodel        YAML: artifact_path, model_uuid, utc_time_created,
///                flavors.rtml (kind, format_version, files with sha256 and size),
///                signature, metadata (params, metrics, training window, store id)
/// model.json     the parameters a person reads
/// metrics.json   evaluation metrics, one JSON object
/// <name>.bin     weight arrays, header-free little-endian float32/float64
/// ```
///
/// Writing is atomic: the files are written and fsynced in a staging
/// directory beside the destination, which is then renamed into place, so a
/// reader sees a whole bundle or none. Loading checks every listed file's
/// size and SHA-256 and refuses a format newer than `formatVersion`. A bundle
/// is data only: nothing in it is ever executed.
public struct ModelBundle: Sendable {
    /// The bundle format this rtml writes and the newest it reads.
    public static let formatVersion = 1
    /// The flavor name under `flavors:` in MLmodel.
    public static let flavorName = "rtml"
    public static let mlmodelFile = "MLmodel"
    public static let modelFile = "model.json"
    public static let metricsFile = "metrics.json"

    /// The model family: "elasticnet", "logistic", "als", ...
    public var kind: String
    /// Training parameters (a JSON object), recorded in MLmodel's metadata.
    public var params: JSONValue
    /// Evaluation metrics (a JSON object): metrics.json, and MLmodel's metadata as headline figures.
    public var metrics: JSONValue
    public var signature: ModelSignature
    public var trainingWindow: TrainingWindow?
    /// The feature store the training data came from (its `meta.store_id`).
    public var storeId: String?
    /// The store's `sequence_map_fingerprint`, for models that index users or items by sequence id.
    public var sequenceMapFingerprint: String?
    /// The content of model.json.
    public var model: JSONValue
    public var arrays: [WeightArray]

    /// MLflow's `artifact_path`; the registry sets it to the model's name.
    public var artifactPath: String
    /// 32 lowercase hex digits, as MLflow writes `model_uuid`.
    public var modelUUID: String
    /// When the bundle was made, epoch milliseconds (`utc_time_created`, RFC 3339).
    public var createdAt: Int64
    /// The rtml release that wrote the bundle.
    public var rtmlVersion: String
    /// The format version read from MLmodel (`formatVersion` for a new bundle).
    public internal(set) var loadedFormatVersion: Int
    /// The files MLmodel lists, after `load` (`write` returns them).
    public internal(set) var files: [BundleFile] = []
    /// The directory the bundle was loaded from.
    public internal(set) var path: String?

    public init(
        kind: String,
        params: JSONValue = .object([]),
        metrics: JSONValue = .object([]),
        signature: ModelSignature,
        trainingWindow: TrainingWindow? = nil,
        storeId: String? = nil,
        sequenceMapFingerprint: String? = nil,
        model: JSONValue,
        arrays: [WeightArray] = [],
        createdAt: Int64? = nil
    ) {
        self.kind = kind
        self.params = params
        self.metrics = metrics
        self.signature = signature
        self.trainingWindow = trainingWindow
        self.storeId = storeId
        self.sequenceMapFingerprint = sequenceMapFingerprint
        self.model = model
        self.arrays = arrays
        self.artifactPath = "model"
        self.modelUUID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        self.createdAt = createdAt ?? Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        self.rtmlVersion = RTMLVersion.string
        self.loadedFormatVersion = ModelBundle.formatVersion
    }

    /// The weight array with this name.
    public func array(named name: String) -> WeightArray? {
        arrays.first { $0.name == name }
    }

    /// Refuses to serve this model against a store whose sequence ids differ
    /// from the ones it was trained on (DESIGN.md, the blue-green hazard):
    /// an error naming both fingerprints, unless `allowStale`. A model that
    /// records no fingerprint does not index by sequence id and always passes.
    public func checkSequenceMap(storeFingerprint: String?, store: String, allowStale: Bool = false) throws {
        guard let mine = sequenceMapFingerprint, !allowStale else { return }
        guard mine != storeFingerprint else { return }
        throw RTMLError(
            "\(path ?? "model"): trained on sequence map \(mine), but store \(store) has \(storeFingerprint ?? "none"); "
                + "its user and item ids would point at the wrong rows (retrain on this store, or pass --allow-stale-ids)"
        )
    }

    // MARK: Writing

    /// Writes the bundle as a new directory at `path` (parents are created),
    /// atomically; refuses a path that already exists. Returns the files written.
    @discardableResult
    public func write(to path: String) throws -> [BundleFile] {
        let target = BundleFileSystem.trimmed(path)
        let parent = BundleFileSystem.parent(of: target)
        try BundleFileSystem.makeDirectories(parent)
        let (staging, files) = try stage(in: parent)
        do {
            guard try ModelBundle.place(staging, at: target) else {
                throw RTMLError("\(target): already exists; a bundle is never overwritten")
            }
        } catch {
            BundleFileSystem.removeTree(staging)
            throw error
        }
        return files
    }

    /// Writes every file into a new hidden staging directory in `parent` and
    /// fsyncs them and it; returns the staging path and the files.
    func stage(in parent: String) throws -> (String, [BundleFile]) {
        try validate()
        let staging = BundleFileSystem.join(parent, ".staging-\(UUID().uuidString.lowercased())")
        guard mkdir(staging, 0o755) == 0 else {
            throw RTMLError("\(staging): cannot create directory: \(BundleFileSystem.errnoText())")
        }
        do {
            var files: [BundleFile] = []
            func put(_ name: String, _ bytes: UnsafeRawBufferPointer, dtype: WeightArray.DType? = nil, shape: [Int]? = nil) throws {
                try BundleFileSystem.writeNewFile(BundleFileSystem.join(staging, name), bytes)
                files.append(BundleFile(name: name, size: bytes.count, sha256: SHA256.hexDigest(of: bytes), dtype: dtype, shape: shape))
            }
            try Array((model.rendered(pretty: true) + "\n").utf8).withUnsafeBytes { try put(ModelBundle.modelFile, $0) }
            try Array((metrics.rendered(pretty: true) + "\n").utf8).withUnsafeBytes { try put(ModelBundle.metricsFile, $0) }
            for array in arrays {
                try array.withLittleEndianBytes { try put(array.fileName, $0, dtype: array.dtype, shape: array.shape) }
            }
            let mlmodel = BundleYAML.emit(mlmodelDocument(files: files))
            try BundleFileSystem.writeNewFile(BundleFileSystem.join(staging, ModelBundle.mlmodelFile), Array(mlmodel.utf8))
            try BundleFileSystem.syncDirectory(staging)
            return (staging, files)
        } catch {
            BundleFileSystem.removeTree(staging)
            throw error
        }
    }

    /// Moves a staged bundle to `target`: `mkdir` claims the name (failing if
    /// anything holds it), then `rename` replaces the empty directory with the
    /// staged one. False when the name was taken.
    static func place(_ staging: String, at target: String) throws -> Bool {
        if mkdir(target, 0o755) != 0 {
            if errno == EEXIST { return false }
            throw RTMLError("\(target): cannot create directory: \(BundleFileSystem.errnoText())")
        }
        guard rename(staging, target) == 0 else {
            let reason = BundleFileSystem.errnoText()
            rmdir(target)
            throw RTMLError("\(target): cannot move the bundle into place: \(reason)")
        }
        try BundleFileSystem.syncDirectory(BundleFileSystem.parent(of: target))
        return true
    }

    private func validate() throws {
        guard !kind.isEmpty else { throw RTMLError("bundle: the model kind is empty") }
        guard params.objectMembers != nil else { throw RTMLError("bundle: params must be a JSON object") }
        guard metrics.objectMembers != nil else { throw RTMLError("bundle: metrics must be a JSON object") }
        var names: Set<String> = []
        for array in arrays {
            guard ModelBundle.isPlainFileName(array.fileName),
                  array.name.utf8.allSatisfy({ ModelBundle.isNameByte($0) })
            else {
                throw RTMLError("bundle: weight array name '\(array.name)' must be letters, digits, '_', '-' or '.'")
            }
            guard array.fileName != ModelBundle.modelFile, array.fileName != ModelBundle.metricsFile,
                  names.insert(array.name).inserted
            else { throw RTMLError("bundle: weight array name '\(array.name)' is used twice") }
            guard array.shape.allSatisfy({ $0 >= 0 }), array.shape.reduce(1, *) == array.count else {
                throw RTMLError("bundle: weight array '\(array.name)' has \(array.count) elements but shape \(array.shape)")
            }
        }
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// A name in the bundle directory itself: no path separators, not hidden, not MLmodel.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name != mlmodelFile && name.utf8.allSatisfy(isNameByte)
    }

    func mlmodelDocument(files: [BundleFile]) -> JSONValue {
        let fileEntries: [(String, JSONValue)] = files.map { file in
            var entry: [(String, JSONValue)] = [("sha256", .string(file.sha256)), ("size", .int(file.size))]
            if let dtype = file.dtype, let shape = file.shape {
                entry.append(("dtype", .string(dtype.rawValue)))
                entry.append(("shape", .array(shape.map { .int($0) })))
                entry.append(("byte_order", .string("little")))
            }
            return (file.name, .object(entry))
        }
        var metadata: [(String, JSONValue)] = [("params", params), ("metrics", metrics)]
        if let w = trainingWindow {
            metadata.append(("training_window", .object([
                ("from", .string(EventTime.formatRFC3339(w.from))),
                ("to", .string(EventTime.formatRFC3339(w.to))),
            ])))
        }
        if let storeId { metadata.append(("store_id", .string(storeId))) }
        if let sequenceMapFingerprint { metadata.append(("sequence_map_fingerprint", .string(sequenceMapFingerprint))) }
        return .object([
            ("artifact_path", .string(artifactPath)),
            ("flavors", .object([
                (ModelBundle.flavorName, .object([
                    ("kind", .string(kind)),
                    ("format_version", .int(ModelBundle.formatVersion)),
                    ("rtml_version", .string(rtmlVersion)),
                    ("files", .object(fileEntries)),
                ])),
            ])),
            ("model_uuid", .string(modelUUID)),
            ("utc_time_created", .string(EventTime.formatRFC3339(createdAt))),
            ("signature", .object([
                ("inputs", .string(ModelSignature.json(signature.inputs))),
                ("outputs", .string(ModelSignature.json(signature.outputs))),
            ])),
            ("metadata", .object(metadata)),
        ])
    }

    // MARK: Loading

    /// Loads and verifies the bundle in directory `path`: the format version,
    /// every listed file's size and SHA-256, then model.json, metrics.json and
    /// the weight arrays. Any problem is an `RTMLError` with exit status 2
    /// naming the file.
    public static func load(from path: String) throws -> ModelBundle {
        let directory = BundleFileSystem.trimmed(path)
        var bundle = try readMLmodel(directory)
        var model: JSONValue?
        var metrics: JSONValue?
        var arrays: [WeightArray] = []
        for file in bundle.files {
            let filePath = BundleFileSystem.join(directory, file.name)
            if let dtype = file.dtype, let shape = file.shape {
                arrays.append(try readArray(filePath, file: file, dtype: dtype, shape: shape))
                continue
            }
            guard let bytes = try BundleFileSystem.readFile(filePath) else { throw missing(filePath) }
            try verify(filePath, file: file, size: bytes.count, digest: SHA256.hexDigest(of: bytes))
            if file.name == modelFile {
                model = try JSONValue.parse(bytes, source: filePath)
            } else if file.name == metricsFile {
                metrics = try JSONValue.parse(bytes, source: filePath)
            }
        }
        guard let model else { throw RTMLError("\(directory)/\(mlmodelFile): flavors.rtml.files does not list \(modelFile)") }
        guard let metrics else { throw RTMLError("\(directory)/\(mlmodelFile): flavors.rtml.files does not list \(metricsFile)") }
        guard metrics.objectMembers != nil else { throw RTMLError("\(directory)/\(metricsFile): must be one JSON object") }
        bundle.model = model
        bundle.metrics = metrics
        bundle.arrays = arrays
        bundle.path = directory
        return bundle
    }

    private static func missing(_ path: String) -> RTMLError {
        RTMLError("\(path): missing (MLmodel lists it)")
    }

    private static func verify(_ path: String, file: BundleFile, size: Int, digest: String) throws {
        guard size == file.size else {
            throw RTMLError("\(path): \(size) bytes, but MLmodel records \(file.size) (the file is truncated or was replaced)")
        }
        guard digest == file.sha256 else {
            throw RTMLError("\(path): sha256 \(digest) does not match \(file.sha256) recorded in MLmodel (the file was changed after the bundle was written)")
        }
    }

    /// Reads a weight file straight into the array's storage and checks the
    /// size and digest of those very bytes, so nothing can change between
    /// the check and the use.
    private static func readArray(_ path: String, file: BundleFile, dtype: WeightArray.DType, shape: [Int]) throws -> WeightArray {
        let count = shape.reduce(1, *)
        guard count * dtype.byteWidth == file.size else {
            throw RTMLError("\(path): MLmodel records \(file.size) bytes, but shape \(shape) of \(dtype.rawValue) needs \(count * dtype.byteWidth)")
        }
        guard BundleFileSystem.kind(path) == .file else { throw missing(path) }
        func load<T>(_ type: T.Type) throws -> [T] {
            var wrongSize: Int?
            var digest = ""
            let values = try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                let raw = UnsafeMutableRawBufferPointer(buffer)
                raw.initializeMemory(as: UInt8.self, repeating: 0)
                initialized = count
                wrongSize = try BundleFileSystem.readExact(path, into: raw)
                if wrongSize == nil { digest = SHA256.hexDigest(of: UnsafeRawBufferPointer(raw)) }
            }
            try verify(path, file: file, size: wrongSize ?? file.size, digest: digest)
            return values
        }
        switch dtype {
        case .float32:
            var values = try load(Float.self)
#if _endian(big)
            values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
#endif
            return WeightArray(name: String(file.name.dropLast(4)), shape: shape, float32: values)
        case .float64:
            var values = try load(Double.self)
#if _endian(big)
            values = values.map { Double(bitPattern: UInt64(littleEndian: $0.bitPattern)) }
#endif
            return WeightArray(name: String(file.name.dropLast(4)), shape: shape, float64: values)
        }
    }

    /// Reads MLmodel alone (no file is read or verified): enough to list a
    /// registry. model.json, metrics.json and arrays are left empty except
    /// `metrics`, which holds MLmodel's headline metrics.
    public static func readMLmodel(_ path: String) throws -> ModelBundle {
        let directory = BundleFileSystem.trimmed(path)
        let source = BundleFileSystem.join(directory, mlmodelFile)
        guard let bytes = try BundleFileSystem.readFile(source) else {
            throw RTMLError("\(directory): not a model bundle (no \(mlmodelFile) file)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw RTMLError("\(source): not valid UTF-8")
        }
        let doc = try BundleYAML.parse(text, source: source)
        return try fromMLmodel(doc, source: source, directory: directory)
    }

    private static func fromMLmodel(_ doc: JSONValue, source: String, directory: String) throws -> ModelBundle {
        func field(_ path: String) throws -> JSONValue {
            var value: JSONValue? = doc
            for key in path.split(separator: ".") { value = value?[String(key)] }
            guard let value, value != .null else { throw RTMLError("\(source): missing field \(path)") }
            return value
        }
        func string(_ path: String) throws -> String {
            guard let s = try field(path).stringValue else { throw RTMLError("\(source): field \(path) must be a string") }
            return s
        }
        func optionalString(_ path: String) throws -> String? {
            (try? field(path)) == nil ? nil : try string(path)
        }
        let flavor = "flavors.\(flavorName)"
        // The format is checked first: a newer format may have moved any other field.
        guard let version = try field("\(flavor).format_version").intValue, version >= 1 else {
            throw RTMLError("\(source): field \(flavor).format_version must be a positive integer")
        }
        guard version <= formatVersion else {
            throw RTMLError("\(directory): bundle format \(version) is newer than this rtml supports (\(formatVersion))")
        }
        let kind = try string("\(flavor).kind")
        guard let fileMembers = try field("\(flavor).files").objectMembers else {
            throw RTMLError("\(source): field \(flavor).files must be a map of file names")
        }
        var files: [BundleFile] = []
        for (name, entry) in fileMembers {
            let at = "\(flavor).files.\(name)"
            guard isPlainFileName(name) else {
                throw RTMLError("\(source): \(at): '\(name)' is not a file name inside the bundle")
            }
            guard let size = entry["size"]?.intValue, size >= 0 else { throw RTMLError("\(source): missing field \(at).size") }
            guard let sha = entry["sha256"]?.stringValue else { throw RTMLError("\(source): missing field \(at).sha256") }
            guard sha.utf8.count == 64, sha.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw RTMLError("\(source): \(at).sha256 must be 64 lowercase hex digits")
            }
            var file = BundleFile(name: name, size: size, sha256: sha)
            if let dtypeValue = entry["dtype"] {
                guard let dtype = dtypeValue.stringValue.flatMap(WeightArray.DType.init(rawValue:)) else {
                    throw RTMLError("\(source): \(at).dtype must be float32 or float64")
                }
                guard let shape = entry["shape"]?.arrayItems?.compactMap(\.intValue),
                      shape.count == entry["shape"]?.arrayItems?.count, shape.allSatisfy({ $0 >= 0 })
                else { throw RTMLError("\(source): \(at).shape must be a list of non-negative integers") }
                if let order = entry["byte_order"], order.stringValue != "little" {
                    throw RTMLError("\(source): \(at).byte_order must be little")
                }
                guard name.hasSuffix(".bin") else { throw RTMLError("\(source): \(at): a weight array's file name must end in .bin") }
                file.dtype = dtype
                file.shape = shape
            }
            files.append(file)
        }
        let inputs = try ModelSignature.columns(fromJSON: try string("signature.inputs"), source: source, field: "signature.inputs")
        let outputs = try ModelSignature.columns(fromJSON: try string("signature.outputs"), source: source, field: "signature.outputs")
        let createdText = try string("utc_time_created")
        guard case .success(let createdAt) = EventTime.parseRFC3339(createdText) else {
            throw RTMLError("\(source): utc_time_created \"\(createdText)\" is not RFC 3339")
        }
        var window: TrainingWindow?
        if (try? field("metadata.training_window")) != nil {
            let fromText = try string("metadata.training_window.from")
            let toText = try string("metadata.training_window.to")
            guard case .success(let from) = EventTime.parseRFC3339(fromText),
                  case .success(let to) = EventTime.parseRFC3339(toText)
            else { throw RTMLError("\(source): metadata.training_window times must be RFC 3339") }
            window = TrainingWindow(from: from, to: to)
        }
        let params = (try? field("metadata.params")) ?? .object([])
        let metrics = (try? field("metadata.metrics")) ?? .object([])
        guard params.objectMembers != nil else { throw RTMLError("\(source): field metadata.params must be a map") }
        guard metrics.objectMembers != nil else { throw RTMLError("\(source): field metadata.metrics must be a map") }

        var bundle = ModelBundle(
            kind: kind, params: params, metrics: metrics,
            signature: ModelSignature(inputs: inputs, outputs: outputs),
            trainingWindow: window,
            storeId: try optionalString("metadata.store_id"),
            sequenceMapFingerprint: try optionalString("metadata.sequence_map_fingerprint"),
            model: .null, createdAt: createdAt
        )
        bundle.artifactPath = try optionalString("artifact_path") ?? "model"
        bundle.modelUUID = try string("model_uuid")
        bundle.rtmlVersion = try optionalString("\(flavor).rtml_version") ?? "unknown"
        bundle.loadedFormatVersion = version
        bundle.files = files
        return bundle
    }
}
