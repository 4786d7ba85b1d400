import Foundation

/// Recognises gestures from the toy's raw sensor readings, fed in time order: pats and hugs from the
/// touch pad, shakes, pick-ups, put-downs and falls from the accelerometer. A value: tests feed it recorded
/// traces and read what it says, with no board at all.
///
/// The thresholds are for a plush toy held by a child (`Thresholds` documents each); every gesture is
/// reported once per occurrence, never again while it lasts.
public struct GestureRecognizer: Sendable {
    public struct Thresholds: Sendable {
        /// A touch shorter than this is a tap; two taps within `patWindow` are a pat.
        public var tapMilliseconds = 600
        public var patWindowMilliseconds = 1_500
        /// A touch held this long is a hug.
        public var hugMilliseconds = 1_500
        /// Free fall: the magnitude below this (m/s²) for `fallMilliseconds`.
        public var freeFall = 3.0
        public var fallMilliseconds = 80
        /// A shake: `shakePeaks` jolts (magnitude this far from gravity) within `shakeWindow`, at least 60 ms apart.
        public var shakeJolt = 9.0
        public var shakePeaks = 3
        public var shakeWindowMilliseconds = 1_200
        /// A pick-up: resting first, then an upward push this far above gravity for `liftMilliseconds`.
        public var lift = 2.0
        public var liftMilliseconds = 100
        /// Resting: the magnitude within this of gravity, and still, for `restMilliseconds`.
        public var restTolerance = 0.6
        public var restMilliseconds = 800

        public init() {}
    }

    public static let gravity = 9.81
    public var thresholds: Thresholds

    private var touchedSince: Int?
    private var hugReported = false
    private var lastTapEnd: Int?
    private var freeFallSince: Int?
    private var fallReported = false
    private var jolts: [Int] = []
    private var lastShake: Int = .min / 2
    private var restingSince: Int?
    private var held = false
    private var liftSince: Int?
    /// When the toy last stopped resting (after resting long enough): a lift must follow soon after.
    private var restEnded: Int?
    private var fellAt: Int?

    public init(thresholds: Thresholds = Thresholds()) {
        self.thresholds = thresholds
    }

    /// Takes one reading and returns the gestures it completes.
    public mutating func feed(_ event: SensorEvent) -> [Gesture] {
        var found = tick(at: event.milliseconds)
        switch event.reading {
        case .touch(let on):
            found += touch(on, at: event.milliseconds)
        case .acceleration(let x, let y, let z):
            found += motion(x: x, y: y, z: z, at: event.milliseconds)
        case .battery:
            break
        }
        return found
    }

    /// Time passing with no new reading: a touch held long enough becomes a hug.
    public mutating func tick(at now: Int) -> [Gesture] {
        guard let since = touchedSince, !hugReported, now - since >= thresholds.hugMilliseconds else { return [] }
        hugReported = true
        return [.hug]
    }

    private mutating func touch(_ on: Bool, at now: Int) -> [Gesture] {
        if on {
            if touchedSince == nil { touchedSince = now }
            return []
        }
        guard let since = touchedSince else { return [] }
        touchedSince = nil
        defer { hugReported = false }
        guard !hugReported, now - since < thresholds.tapMilliseconds else { return [] }
        // A tap: the second within the window makes a pat, and starts counting afresh.
        if let previous = lastTapEnd, now - previous <= thresholds.patWindowMilliseconds {
            lastTapEnd = nil
            return [.pat]
        }
        lastTapEnd = now
        return []
    }

    private mutating func motion(x: Double, y: Double, z: Double, at now: Int) -> [Gesture] {
        var found: [Gesture] = []
        let magnitude = (x * x + y * y + z * z).squareRoot()

        // A fall: weightless for long enough. Reported once, until the toy rests again.
        if magnitude < thresholds.freeFall {
            if freeFallSince == nil { freeFallSince = now }
            if let since = freeFallSince, !fallReported, now - since >= thresholds.fallMilliseconds {
                fallReported = true
                held = false
                fellAt = now
                found.append(.fall)
            }
        } else {
            freeFallSince = nil
        }

        // A shake: several hard jolts close together (not during a fall).
        if abs(magnitude - Self.gravity) >= thresholds.shakeJolt, magnitude >= thresholds.freeFall {
            if jolts.last.map({ now - $0 >= 60 }) ?? true { jolts.append(now) }
            jolts.removeAll { now - $0 > thresholds.shakeWindowMilliseconds }
            if jolts.count >= thresholds.shakePeaks, now - lastShake > thresholds.shakeWindowMilliseconds {
                lastShake = now
                jolts.removeAll()
                found.append(.shake)
            }
        }

        // Resting, lifting, putting down.
        let still = abs(magnitude - Self.gravity) <= thresholds.restTolerance
        let wasRested = restingSince.map { now - $0 >= thresholds.restMilliseconds } ?? false
        if still {
            if restingSince == nil { restingSince = now }
        } else {
            if wasRested { restEnded = now }
            restingSince = nil
        }
        let rested = restingSince.map { now - $0 >= thresholds.restMilliseconds } ?? false
        if rested {
            fallReported = false
            if held {
                held = false
                found.append(.putDown)
            }
        }
        // An upward push along gravity's axis, straight from rest (a landing's bounce is not one, nor is
        // anything in the half second after a fall): the toy is picked up.
        let fromRest = rested || (restEnded.map { now - $0 <= 300 } ?? false)
        let afterFall = fellAt.map { now - $0 < 500 } ?? false
        if !held, !afterFall, magnitude - Self.gravity >= thresholds.lift, abs(magnitude - Self.gravity) < thresholds.shakeJolt, fromRest || liftSince != nil {
            if liftSince == nil { liftSince = now }
            if let since = liftSince, now - since >= thresholds.liftMilliseconds {
                held = true
                liftSince = nil
                restEnded = nil
                found.append(.pickUp)
            }
        } else {
            liftSince = nil
        }
        return found
    }
}
