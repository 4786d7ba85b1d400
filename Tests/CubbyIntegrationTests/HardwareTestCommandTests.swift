import CubbyCore
import Foundation
import CubbyTestSupport
import Testing

/// `cubby hw test` against a fake sysfs tree: each motor driven to its limits and back to rest, each sensor
/// read once, and a dead sensor reported with exit status 1.
@Suite struct HardwareTestCommandTests {
    @Test func eachMotorIsExercisedAndEachSensorRead() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pwm = folder + "/pwm", accel = folder + "/iio:device0", battery = folder + "/battery"
        try FileManager.default.createDirectory(atPath: pwm + "/pwmchip0/pwm0", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: pwm + "/pwmchip0/pwm1", withIntermediateDirectories: true)
        for file in ["export", "pwm0/period", "pwm0/duty_cycle", "pwm0/enable", "pwm1/period", "pwm1/duty_cycle", "pwm1/enable"] { FileManager.default.createFile(atPath: pwm + "/pwmchip0/" + file, contents: nil) }
        for directory in [accel, battery] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        for (file, value) in [("in_accel_scale", "0.01"), ("in_accel_x_raw", "0"), ("in_accel_y_raw", "0"), ("in_accel_z_raw", "981")] {
            try value.write(toFile: accel + "/" + file, atomically: true, encoding: .utf8)
        }
        try "64".write(toFile: battery + "/capacity", atomically: true, encoding: .utf8)
        try """
            format = 1
            name = "bench"
            [audio]
            max_volume = 75
            [audio.input]
            kind = "silence"
            [motors.head]
            kind = "servo"
            angle_limits = [-30, 30]
            pulse_us = [1000, 2000]
            [lights.cheeks]
            kind = "pwm"
            pwm_chip = 0
            channel = 1
            [pwm]
            root = "\(pwm)"
            [sensors]
            accelerometer = "\(accel)"
            battery = "\(battery)"
            """.write(toFile: folder + "/board.toml", atomically: true, encoding: .utf8)

        let result = try await ProcessRunner.run("cubby", ["hw", "test", "--board", folder, "--hold", "5"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("motor head: moved to -30°, 30° and rest 0° — ok"))
        #expect(result.stdout.contains("accelerometer: x 0.00 y 0.00 z 9.81"))
        #expect(result.stdout.contains("light cheeks: full, dim, off — ok"))
        #expect(try String(contentsOfFile: pwm + "/pwmchip0/pwm1/enable", encoding: .utf8) == "0\n", "the light is left off")
        #expect(result.stdout.contains("battery: 64 %") && result.stdout.contains("speaker: at most 75 of 100"))
        // Back at rest (1500 µs), and let go.
        #expect(try String(contentsOfFile: pwm + "/pwmchip0/pwm0/duty_cycle", encoding: .utf8) == "1500000\n")
        #expect(try String(contentsOfFile: pwm + "/pwmchip0/pwm0/enable", encoding: .utf8) == "0\n")

        try FileManager.default.removeItem(atPath: accel)
        let broken = try await ProcessRunner.run("cubby", ["hw", "test", "--board", folder, "--hold", "5"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("accelerometer: FAILED") && broken.stdout.contains("1 part failed"))
    }
}
