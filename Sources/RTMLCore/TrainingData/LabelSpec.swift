/// What a store-built example predicts, computed from the user's later
/// events within the horizon (`--label`).
public enum LabelSpec: Sendable, Equatable {
    /// The category of the next `content.start` after the example's time,
    /// within the horizon; examples with no start in the horizon are dropped.
    case nextCategory
    /// 1 when the user completes content of the category within the horizon, else 0.
    case complete(category: String)

    public static let syntax = "next-category or complete:<category>"

    public init(parsing text: String) throws {
        if text == "next-category" {
            self = .nextCategory
        } else if text.hasPrefix("complete:") {
            let category = String(text.dropFirst("complete:".count))
            guard ContentCategory.allCases.contains(where: { $0.name == category }) else {
                let known = ContentCategory.allCases.map(\.name).joined(separator: ", ")
                throw RTMLError("--label \(text): unknown category '\(category)' (known: \(known))")
            }
            self = .complete(category: category)
        } else {
            throw RTMLError("--label \(text): expected \(Self.syntax)")
        }
    }

    public var text: String {
        switch self {
        case .nextCategory: "next-category"
        case .complete(let c): "complete:\(c)"
        }
    }

    /// The classes of a categorical label (nil for a 0/1 or numeric one).
    public var classes: [String]? {
        switch self {
        case .nextCategory: ContentCategory.allCases.map(\.name)
        case .complete: nil
        }
    }
}
