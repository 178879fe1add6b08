import RTMLCore

/// Scans `bytes` with a fresh scanner: the kind, or the error.
func scanResult(_ bytes: [UInt8], maxDepth: Int = 64) -> Result<JSONValueKind, JSONSyntaxError> {
    var scanner = JSONScanner(maxDepth: maxDepth)
    return bytes.withUnsafeBytes { buffer in
        Result { () throws(JSONSyntaxError) -> JSONValueKind in try scanner.scan(buffer) }
    }
}

func scanResult(_ text: String, maxDepth: Int = 64) -> Result<JSONValueKind, JSONSyntaxError> {
    scanResult(Array(text.utf8), maxDepth: maxDepth)
}

/// The error a rejected text gives, or nil when it is accepted.
func scanError(_ text: String) -> JSONSyntaxError? {
    scanError(Array(text.utf8))
}

func scanError(_ bytes: [UInt8]) -> JSONSyntaxError? {
    if case .failure(let error) = scanResult(bytes) { return error }
    return nil
}

func accepts(_ text: String) -> Bool { scanError(text) == nil }
func accepts(_ bytes: [UInt8]) -> Bool { scanError(bytes) == nil }
