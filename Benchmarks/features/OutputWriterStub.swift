// The canonical-line parser of featurize refers to the output writer only in
// a method the benchmark never calls, and the user partition to the input
// line type in one it never calls either; these stand in for them, so the
// benchmark builds without zlib and the rest of the IO code.
public final class OutputWriter {
    func write(_ b: UnsafeRawBufferPointer) throws {}
    func write(_ b: [UInt8]) throws {}
    func writeByte(_ b: UInt8) throws {}
}

public struct InputLine {
    public var bytes: UnsafeRawBufferPointer
    public var isOversize: Bool { false }
}
