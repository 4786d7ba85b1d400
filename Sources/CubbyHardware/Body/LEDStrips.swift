import CubbyCore
import Foundation
import SystemPackage

/// The LED chip on an addressable strip: how its frames are made and how fast the SPI bus must run.
public enum LEDStripChip: String, Sendable, Equatable, CaseIterable {
    case apa102
    case ws2812
}

/// A 24-bit colour, written `#RRGGBB` in board files.
public struct LEDColour: Sendable, Equatable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `#RRGGBB`, or nil for anything else.
    public init?(hex: String) {
        guard hex.count == 7, hex.hasPrefix("#"), hex.dropFirst().allSatisfy(\.isHexDigit), let value = UInt32(hex.dropFirst(), radix: 16) else { return nil }
        self.init(red: UInt8(value >> 16 & 0xFF), green: UInt8(value >> 8 & 0xFF), blue: UInt8(value & 0xFF))
    }

    /// The most colours a strip (or a step of its pattern) lists: as many as it may have LEDs.
    static let maximumListed = 300

    /// Every entry parsed: nil unless there are 1-300 and each is `#RRGGBB`.
    static func list(_ entries: [String]) -> [LEDColour]? {
        guard (1...maximumListed).contains(entries.count) else { return nil }
        let parsed = entries.compactMap(LEDColour.init(hex:))
        return parsed.count == entries.count ? parsed : nil
    }

    public var hex: String { String(format: "#%02X%02X%02X", red, green, blue) }

    /// This colour at `percent` of its brightness, for chips without a brightness of their own.
    func scaled(_ percent: Int) -> LEDColour {
        let scale = { (value: UInt8) in UInt8((Int(value) * min(max(percent, 0), 100) + 50) / 100) }
        return LEDColour(red: scale(red), green: scale(green), blue: scale(blue))
    }

    /// `count` colours: `pattern` repeated along the strip (empty: off).
    static func along(count: Int, repeating pattern: [LEDColour]) -> [LEDColour] {
        guard !pattern.isEmpty else { return Array(repeating: LEDColour(red: 0, green: 0, blue: 0), count: count) }
        return (0..<count).map { pattern[$0 % pattern.count] }
    }
}

/// APA102 ("DotStar") LEDs: a start frame of 32 zero bits, then per LED 0xE0 | 5-bit global brightness,
/// blue, green, red, then an end frame of at least half a bit per LED. The chip has its own clock line, so
/// any bus speed works; 4 MHz is well inside every strip's.
public enum APA102 {
    static let hertz: UInt32 = 4_000_000

    public static func frame(_ leds: [LEDColour], brightness percent: Int) -> [UInt8] {
        let level = UInt8((min(max(percent, 0), 100) * 31 + 50) / 100)
        var bytes = [UInt8](repeating: 0, count: 4)
        for led in leds { bytes += [0xE0 | level, led.blue, led.green, led.red] }
        bytes += [UInt8](repeating: 0xFF, count: max(4, (leds.count + 15) / 16))
        return bytes
    }
}

/// WS2812 ("NeoPixel") LEDs on SPI's data line alone. The chip reads a pulse's width: at 2.4 MHz each of
/// its bits is three SPI bits, 110 for a one and 100 for a zero (0.83 µs or 0.42 µs high in 1.25 µs).
/// Colours go green, red, blue, highest bit first; brightness scales them (the chip has no brightness of
/// its own). A low line for 300 µs latches the colours: newer chips need 280 µs, older ones 50 µs. One
/// zero byte leads, because some SPI controllers leave the line high before the first clock.
public enum WS2812 {
    static let hertz: UInt32 = 2_400_000
    /// 300 µs at 2.4 MHz is 720 bits.
    static let latchBytes = 90

    public static func frame(_ leds: [LEDColour], brightness percent: Int) -> [UInt8] {
        var bytes: [UInt8] = [0]
        bytes.reserveCapacity(1 + leds.count * 9 + latchBytes)
        for led in leds {
            let shown = led.scaled(percent)
            for value in [shown.green, shown.red, shown.blue] { bytes += encode(value) }
        }
        return bytes + [UInt8](repeating: 0, count: latchBytes)
    }

    /// One colour byte as 24 SPI bits.
    static func encode(_ value: UInt8) -> [UInt8] {
        var bits: UInt32 = 0
        for index in (0..<8).reversed() {
            bits = bits << 3 | (value >> index & 1 == 1 ? 0b110 : 0b100)
        }
        return [UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
    }
}

/// A spidev device (`/dev/spidev0.0`): the bus speed set with `SPI_IOC_WR_MAX_SPEED_HZ`, then the frame
/// written as plain bytes. Tests write to a plain file, which has no speed to set (ENOTTY), and read the
/// same bytes back.
enum SPIDevice {
    /// `_IOW('k', 4, __u32)`.
    static let setMaximumSpeed: UInt = 0x4004_6B04

    static func write(_ bytes: [UInt8], to device: String, hertz: UInt32) throws(CubbyError) {
        do {
            let descriptor = try FileDescriptor.open(FilePath(device), .writeOnly)
            defer { try? descriptor.close() }
            var speed = hertz
            if ioctl(descriptor.rawValue, setMaximumSpeed, &speed) != 0 && errno != ENOTTY {
                throw CubbyError(.io, "could not set the SPI bus to \(hertz) Hz for the LED strip", context: device, underlying: Errno(rawValue: errno))
            }
            _ = try descriptor.writeAll(bytes)
        } catch let error as CubbyError {
            throw error
        } catch {
            throw CubbyError(.io, "could not write to the LED strip", context: device, underlying: error)
        }
    }
}
