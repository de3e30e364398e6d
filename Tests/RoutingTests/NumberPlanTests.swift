import Testing

@testable import Routing

@Suite struct NumberPlanTests {
    @Test("what a dialled string is", arguments: [
        ("1002", Dialled.extension("1002")),
        ("12", .extension("12")),
        ("+3725551234", .external(e164: "+3725551234")),
        ("003725551234", .external(e164: "+3725551234")),
        ("5551234", .external(e164: "+3725551234")),
        ("05551234", .external(e164: "+3725551234")),
        ("+44 20 7946 0958", .external(e164: "+442079460958")),
        ("1", .invalid),
        ("12ab", .invalid),
        ("+12", .invalid),
        ("+1234567890123456", .invalid),
    ])
    func classify(dialled: String, expected: Dialled) {
        #expect(Dialled.classify(dialled, countryCode: "372") == expected)
    }
}
