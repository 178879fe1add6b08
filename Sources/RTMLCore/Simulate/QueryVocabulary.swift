/// Free-text search queries built from a per-category vocabulary.
///
/// A query is `[prefix] phrase [suffix]`. Given the user's goal category, the
/// phrase comes from that category's list with probability 0.75, otherwise
/// from the ambiguous list shared by all goals; a prefix is added with
/// probability 0.25 and a suffix with 0.30. Several phrases share words across
/// categories ("exam", "sleep", "stress", "breathing", "walking"), so a
/// bag-of-words embedding has to weigh terms rather than match one word.
public enum QueryVocabulary {
    /// Goal phrases by `ContentCategory.rawValue`.
    public static let phrases: [[String]] = [
        ["can't sleep", "fall asleep fast", "sleep sounds", "insomnia", "bedtime story",
         "waking up at night", "deep sleep music", "rain sounds for sleep", "sleep after stress", "power nap"],
        ["preparing for big exam", "study music", "concentration", "deep work", "focus at work",
         "focus for exam", "stop procrastinating", "reading focus", "coding music", "productivity"],
        ["morning run", "stretching", "yoga", "workout", "walking exercise",
         "cardio", "back pain exercises", "running warm up", "dance workout", "mindful movement"],
        ["guided meditation", "breathing meditation", "body scan", "mindfulness", "loving kindness",
         "daily meditation", "gratitude", "visualization", "walking meditation", "silent meditation"],
        ["anxiety relief", "stressed at work", "calm down", "panic attack", "overwhelmed",
         "stress before exam", "work pressure", "let go of anger", "breathing for stress", "deadline stress"],
    ]
    /// Phrases that carry little or no information about the goal.
    public static let ambiguous = ["relax", "calm", "music", "night", "breathing", "rest", "energy", "feel better"]
    public static let prefixes = ["help me ", "quick ", "how to ", "best "]
    public static let suffixes = [" 10 minutes", " for beginners", " tonight", " now", " music"]

    /// All phrase texts: goal phrases (category-major) then ambiguous ones; a query's
    /// phrase is stored as an index into this table.
    static let allPhrases: [[UInt8]] = phrases.flatMap { $0 }.map { Array($0.utf8) } + ambiguous.map { Array($0.utf8) }
    static let prefixBytes: [[UInt8]] = prefixes.map { Array($0.utf8) }
    static let suffixBytes: [[UInt8]] = suffixes.map { Array($0.utf8) }

    /// A compact query: phrase index, prefix index + 1 (0 none), suffix index + 1 (0 none).
    struct Query {
        var phrase: Int32
        var affixes: Int32 // prefix << 8 | suffix
    }

    static func make(goal: ContentCategory, _ rng: inout Xoshiro256StarStar) -> Query {
        let specific = rng.chance(0.75)
        let phrase = specific
            ? goal.rawValue * 10 + rng.below(10)
            : 50 + rng.below(ambiguous.count)
        let prefix = rng.chance(0.25) ? 1 + rng.below(prefixes.count) : 0
        let suffix = rng.chance(0.30) ? 1 + rng.below(suffixes.count) : 0
        return Query(phrase: Int32(phrase), affixes: Int32(prefix << 8 | suffix))
    }

    /// The goal category a query's words point to, or nil for an ambiguous query:
    /// the category whose phrase list contains the query's phrase.
    public static func category(of query: String) -> ContentCategory? {
        for (c, list) in phrases.enumerated() {
            for phrase in list where query.contains(phrase) {
                return ContentCategory(rawValue: c)
            }
        }
        return nil
    }
}
