internal import COpenSSL
import Foundation

/// Dates to and from ASN1_TIME, in whole seconds. OpenSSL picks the encoding RFC 5280
/// §4.1.2.5 and §5.1.2.4 require: UTCTime through 2049, GeneralizedTime from 2050.
enum ASN1Time {
    /// The whole second at or before `date`; throws outside years 1..9999.
    static func seconds(_ date: Date) throws -> time_t {
        let s = date.timeIntervalSince1970.rounded(.down)
        guard s.isFinite, s >= -62_135_596_800, s <= 253_402_300_799 else {
            throw OpenSSLError("time", detail: "\(date.timeIntervalSince1970) s since 1970 is outside the years 1 to 9999")
        }
        return time_t(s)
    }

    /// A new ASN1_TIME for `date`; the caller frees it with ASN1_TIME_free.
    static func make(_ date: Date) throws -> UnsafeMutablePointer<ASN1_TIME> {
        guard let t = ASN1_TIME_set(nil, try seconds(date)) else { throw OpenSSLError("ASN1_TIME_set") }
        return t
    }

    /// Reads a borrowed ASN1_TIME.
    static func date(_ t: UnsafePointer<ASN1_TIME>?) throws -> Date {
        var parts = tm()
        guard let t, ASN1_TIME_to_tm(t, &parts) == 1 else { throw OpenSSLError("ASN1 time") }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
