/// The words that name what people look for in each content category. A
/// category's vector is the embedding of its seed terms, computed exactly
/// like a search query's, so `search_affinity_<category>` is the cosine
/// between what a user searched for and these words.
///
/// Chosen to name each category's goals in plain words (not taken from the
/// simulator's query lists), one entry per term.
public enum CategorySeeds {
    public static func terms(_ category: ContentCategory) -> [String] {
        switch category {
        case .sleep:
            ["sleep", "asleep", "sleepy", "insomnia", "bedtime", "nap", "dream", "night", "tired", "lullaby"]
        case .focus:
            ["focus", "concentration", "concentrate", "study", "exam", "work", "productivity", "attention", "learning", "reading"]
        case .move:
            ["move", "movement", "exercise", "workout", "run", "running", "walk", "stretch", "yoga", "fitness"]
        case .meditate:
            ["meditate", "meditation", "mindfulness", "mindful", "breath", "breathe", "awareness", "presence", "compassion", "gratitude"]
        case .stress:
            ["stress", "stressed", "anxiety", "anxious", "panic", "worry", "overwhelmed", "pressure", "tension", "calm"]
        }
    }
}
