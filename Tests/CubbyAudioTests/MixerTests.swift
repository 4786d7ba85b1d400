import CubbyAudio
import CubbyCore
import Foundation
import Testing

/// The board's mixer: percentages onto a control's own range, and the real libasound's refusal of a card
/// that is not there, named (no sound card exists on a build machine, so that is as far as it goes here).
@Suite struct MixerTests {
    @Test func aPercentageLandsOnTheNearestStepOfTheControlsOwnRange() {
        // The WM8960's speaker volume runs 0-127; a capture gain may run -12..63.
        #expect(MixerSetting.raw(percent: 0, in: 0...127) == 0)
        #expect(MixerSetting.raw(percent: 100, in: 0...127) == 127)
        #expect(MixerSetting.raw(percent: 90, in: 0...127) == 114)
        #expect(MixerSetting.raw(percent: 50, in: -12...63) == 26)
        #expect(MixerSetting.raw(percent: 250, in: 0...31) == 31, "clamped")
        #expect(MixerSetting.raw(percent: 40, in: 5...5) == 5)
    }

    @Test func aCardThatIsNotThereIsAClearErrorNamingIt() {
        #expect { _ = try ALSAMixer(card: "hw:CARD=nosuchplushcard") } throws: { error in
            "\(error)".contains("hw:CARD=nosuchplushcard") && "\(error)".contains("mixer")
        }
    }
}
