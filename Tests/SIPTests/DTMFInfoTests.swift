import Media
import SIP
import Testing

@Suite("DTMF in SIP INFO bodies")
struct DTMFInfoTests {
    @Test("application/dtmf-relay: Signal and Duration, in any case, digits or event codes", arguments: [
        ("Signal=5\r\nDuration=160\r\n", DTMFKey.five, 160 as Int?),
        ("signal= *\nduration= 250\n", .star, 250),
        ("Signal=#\r\n", .pound, nil),
        ("Signal=11\r\nDuration=100\r\n", .pound, 100),
        ("Signal=10\r\n", .star, nil),
        ("Signal=D\r\nDuration=999999\r\n", .d, nil),
    ])
    func relay(body: String, key: DTMFKey, duration: Int?) throws {
        let info = try #require(DTMFInfo(contentType: "application/dtmf-relay", body: Array(body.utf8)))
        #expect(info.key == key && info.duration == duration)
    }

    @Test("application/dtmf: the key alone")
    func plain() {
        #expect(DTMFInfo(contentType: "Application/DTMF; charset=x", body: Array("7\r\n".utf8))?.key == .seven)
        #expect(DTMFInfo(contentType: "application/dtmf", body: Array("11".utf8))?.key == .pound)
    }

    @Test("bodies that name no key, and other types, give nothing", arguments: [
        ("application/dtmf-relay", "Duration=160"), ("application/dtmf-relay", "Signal=!"),
        ("application/dtmf-relay", "Signal=16"), ("application/dtmf", "55"), ("application/dtmf", ""),
        ("text/plain", "5"), ("application/dtmf", "\u{FF}"),
    ])
    func refused(type: String, body: String) {
        #expect(DTMFInfo(contentType: type, body: Array(body.utf8)) == nil)
    }
}
