/// Wearable samples: steps since the previous sample and heart rate.
///
/// In an *active* session the user starts walking or running 6–12 minutes
/// before opening the app: steps per minute ramp linearly from about 8 to a
/// peak of 100–165 and heart rate from rest (60–76) to 115–155, reaching the
/// peak one minute after the app opens, then hold. In a *resting* session the
/// samples start 5 minutes before and stay flat (about 4 steps a minute, heart
/// rate at rest) from 3 minutes before until 5 minutes after the app opens.
/// Active samples stop 10 minutes after the session start. Either way they stop
/// when the session ends (but not before its first minute), and come every 30–60 s.
enum Biometrics {
    static let maxWarmupMs: Int64 = 12 * 60_000

    /// Chance that a wearable user's session at this UTC hour is active.
    static func activeChance(hour: Int) -> Double {
        switch hour {
        case 5...8: return 0.5
        case 17...19: return 0.4
        default: return 0.12
        }
    }

    /// Appends the samples of one session through `emit(time, steps, heartRate)`.
    static func samples(
        rising: Bool, sessionStart: Int64, sessionEnd: Int64,
        _ rng: inout Xoshiro256StarStar, emit: (Int64, Int32, Int32) -> Void
    ) {
        let from = sessionStart - (rising ? Int64(rng.int(360...720)) * 1000 : 180_000)
        let to = min(max(sessionEnd, sessionStart + 60_000), sessionStart + (rising ? 600_000 : 300_000))
        let restHr = rng.uniform(60, 76)
        let peakSpm = rng.uniform(100, 165)
        let peakHr = rng.uniform(115, 155)
        let rampEnd = Double(sessionStart + 60_000 - from)
        var t = from
        var interval = Int64(rng.int(30_000...60_000))
        while t < to {
            let seconds = Double(interval) / 1000
            let spm: Double
            let hr: Double
            if rising {
                let r = min(1, Double(t - from) / rampEnd)
                spm = 8 + r * (peakSpm - 8) + 4 * rng.gaussian()
                hr = restHr + r * (peakHr - restHr) + 2 * rng.gaussian()
            } else {
                spm = 4 + 4 * rng.gaussian()
                hr = restHr + 2.5 * rng.gaussian()
            }
            emit(t, Int32(max(0, (spm * seconds / 60).rounded())), Int32(hr.rounded()))
            interval = Int64(rng.int(30_000...60_000))
            t += interval
        }
    }
}
