/// A sparse matrix of interaction weights in compressed sparse row (CSR) form.
///
/// Row r's entries are `columnIndices[rowStarts[r] ..< rowStarts[r + 1]]` with
/// weights `values[...]` at the same positions, column indices ascending. For
/// ALS the user × item matrix is CSR by user, and its ``transposed()`` is the
/// same data CSR by item (that is, CSC of the original).
public struct SparseInteractions: Sendable, Equatable {
    public let rowCount: Int
    public let columnCount: Int
    /// `rowCount + 1` offsets into `columnIndices` and `values`.
    public private(set) var rowStarts: [Int]
    public private(set) var columnIndices: [Int32]
    public private(set) var values: [Float]

    /// Builds the matrix from coordinate triples; weights of repeated (row, column) pairs are added.
    public init(rowCount: Int, columnCount: Int, rows: [Int], columns: [Int], values: [Float]) {
        precondition(rows.count == columns.count && rows.count == values.count, "rows, columns and values must have the same length")
        precondition(columnCount <= Int(Int32.max), "column indices are stored as Int32")
        self.rowCount = rowCount
        self.columnCount = columnCount
        // Counting sort by row, then by column within each row: O(nnz + rows + columns).
        var byColumnStarts = [Int](repeating: 0, count: columnCount + 1)
        for (k, c) in columns.enumerated() {
            precondition((0..<columnCount).contains(c) && (0..<rowCount).contains(rows[k]), "entry \(k) at (\(rows[k]), \(c)) lies outside \(rowCount) × \(columnCount)")
            byColumnStarts[c + 1] += 1
        }
        for c in 0..<columnCount { byColumnStarts[c + 1] += byColumnStarts[c] }
        var columnOrder = [Int](repeating: 0, count: columns.count)
        var next = byColumnStarts
        for (k, c) in columns.enumerated() {
            columnOrder[next[c]] = k
            next[c] += 1
        }
        var starts = [Int](repeating: 0, count: rowCount + 1)
        for r in rows { starts[r + 1] += 1 }
        for r in 0..<rowCount { starts[r + 1] += starts[r] }
        var order = [Int](repeating: 0, count: rows.count)
        var fill = starts
        for k in columnOrder {  // stable: columns stay ascending within a row
            order[fill[rows[k]]] = k
            fill[rows[k]] += 1
        }
        var outStarts = [Int](repeating: 0, count: rowCount + 1)
        var outColumns: [Int32] = []
        var outValues: [Float] = []
        outColumns.reserveCapacity(order.count)
        outValues.reserveCapacity(order.count)
        for r in 0..<rowCount {
            var last = -1
            for position in starts[r]..<starts[r + 1] {
                let k = order[position]
                if columns[k] == last {
                    outValues[outValues.count - 1] += values[k]
                } else {
                    outColumns.append(Int32(columns[k]))
                    outValues.append(values[k])
                    last = columns[k]
                }
            }
            outStarts[r + 1] = outColumns.count
        }
        self.rowStarts = outStarts
        self.columnIndices = outColumns
        self.values = outValues
    }

    /// Stored entries (after merging duplicates).
    public var nonZeroCount: Int { values.count }

    /// The column indices and weights of one row.
    public func row(_ r: Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Float>) {
        let range = rowStarts[r]..<rowStarts[r + 1]
        return (columnIndices[range], values[range])
    }

    /// The same entries with rows and columns swapped (CSR of the transpose).
    ///
    /// One counting pass and one scatter pass, O(nnz + rows + columns): entries
    /// are already merged, and visiting rows in order leaves each new row's
    /// columns ascending. (Going through the coordinate initialiser sorted 5M
    /// entries twice, about as long as an ALS iteration.)
    public func transposed() -> SparseInteractions {
        precondition(rowCount <= Int(Int32.max), "row indices become Int32 column indices")
        var starts = [Int](repeating: 0, count: columnCount + 1)
        for c in columnIndices { starts[Int(c) + 1] += 1 }
        for c in 0..<columnCount { starts[c + 1] += starts[c] }
        var next = starts
        var outColumns = [Int32](repeating: 0, count: nonZeroCount)
        var outValues = [Float](repeating: 0, count: nonZeroCount)
        for r in 0..<rowCount {
            for position in rowStarts[r]..<rowStarts[r + 1] {
                let c = Int(columnIndices[position])
                outColumns[next[c]] = Int32(r)
                outValues[next[c]] = values[position]
                next[c] += 1
            }
        }
        return SparseInteractions(rowCount: columnCount, columnCount: rowCount, rowStarts: starts, columnIndices: outColumns, values: outValues)
    }

    private init(rowCount: Int, columnCount: Int, rowStarts: [Int], columnIndices: [Int32], values: [Float]) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStarts = rowStarts
        self.columnIndices = columnIndices
        self.values = values
    }
}
