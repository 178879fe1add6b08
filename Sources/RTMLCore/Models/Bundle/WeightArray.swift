/// A named matrix of weights stored in a bundle as `<name>.bin`.
///
/// The file is header-free: the elements in row-major (C) order as
/// little-endian IEEE 754 binary32 or binary64, nothing else, so its size is
/// exactly `shape.product × 4` (or × 8) bytes and `numpy.fromfile(path,
/// dtype="<f4").reshape(shape)` reads it. The dtype and shape are recorded
/// beside the file's sha256 in MLmodel.
public struct WeightArray: Sendable, Equatable {
    /// The element type, named as NumPy and MLflow tensor specs name them.
    public enum DType: String, Sendable {
        case float32
        case float64

        public var byteWidth: Int { self == .float32 ? 4 : 8 }
    }

    public enum Values: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
    }

    public var name: String
    public var shape: [Int]
    public var values: Values

    public init(name: String, shape: [Int], float32 values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = .float32(values)
    }

    public init(name: String, shape: [Int], float64 values: [Double]) {
        self.name = name
        self.shape = shape
        self.values = .float64(values)
    }

    public var dtype: DType {
        if case .float32 = values { return .float32 }
        return .float64
    }

    public var count: Int {
        switch values {
        case .float32(let v): v.count
        case .float64(let v): v.count
        }
    }

    /// The file this array is stored in.
    public var fileName: String { name + ".bin" }

    public var byteCount: Int { count * dtype.byteWidth }

    /// The elements when stored as float32.
    public var floats: [Float]? {
        if case .float32(let v) = values { return v }
        return nil
    }

    /// The elements when stored as float64.
    public var doubles: [Double]? {
        if case .float64(let v) = values { return v }
        return nil
    }

    /// The elements widened to Double whatever the stored type.
    public var asDoubles: [Double] {
        switch values {
        case .float32(let v): v.map(Double.init)
        case .float64(let v): v
        }
    }

    /// The file's bytes: little-endian whatever the host.
    func withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch values {
        case .float32(let v):
#if _endian(big)
            return try v.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
#else
            return try v.withUnsafeBytes(body)
#endif
        case .float64(let v):
#if _endian(big)
            return try v.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
#else
            return try v.withUnsafeBytes(body)
#endif
        }
    }
}
