import RTMLCore
import Testing

@Suite struct ContentCategoryTests {
    private func category(_ text: String) -> ContentCategory? {
        Array(text.utf8).withUnsafeBytes { ContentCategory(utf8: $0) }
    }

    @Test func everyNameIsFoundFromItsBytesAndNothingElseIs() {
        for c in ContentCategory.allCases { #expect(category(c.name) == c) }
        for other in ["", "s", "sleeq", "Sleep", "sleep ", "stres", "stresss", "focus!", "mov", "moveX", "meditatE", "meditate2", "other"] {
            #expect(category(other) == nil, "\(other)")
        }
    }
}
