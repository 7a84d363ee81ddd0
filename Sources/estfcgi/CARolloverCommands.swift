import ArgumentParser
import ESTCA
import ESTOpenSSL
import Foundation

extension CA {
    struct Rollover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a root a new key (RFC 4210 §4.4): NewWithNew and the two link certificates; --finish ends the overlap.")
        @OptionGroup var store: StoreOptions
        @Option var name: String
        @Option(help: ArgumentHelp("Key type of the new key (default: the old key's): \(KeyType.names).")) var key: String?
        /// The new key already in a token (made with pkcs11-tool / softhsm2-util / a vendor tool).
        @OptionGroup var token: PKCS11KeyOptions
        @Option(help: "Validity of the new root in days (default: as long as the old one's).") var days: Int?
        @Flag(help: "End the overlap: the old root and the links leave /cacerts.") var finish = false
        @OptionGroup var output: JSONOption

        func validate() throws {
            if finish, key != nil || days != nil || token.pkcs11Key != nil || token.pkcs11Module != nil {
                throw ValidationError("--finish takes no --key, --pkcs11-key or --days")
            }
            if key != nil, token.pkcs11Key != nil { throw ValidationError("give --key or --pkcs11-key, not both") }
        }

        func run() throws {
            let admin = try store.administration()
            if finish {
                try admin.finishRollover(name: name)
                if output.json { try printJSON(["name": name, "overlap": false]) } else { print("CA '\(name)': rollover finished") }
                return
            }
            let type = try key.map { k -> KeyType in
                guard let t = KeyType(rawValue: k) else { throw CAError.badRequest("--key must be one of \(KeyType.names)") }
                return t
            }
            let r = try admin.rollover(name: name, keyType: type, tokenKey: try token.reference(), days: days)
            if output.json {
                var json = caJSON(r.ca)
                json["new_with_old"] = r.newWithOld.pem
                json["old_with_new"] = r.oldWithNew.pem
                try printJSON(json)
            } else {
                // NewWithNew, NewWithOld, OldWithNew, for the operator's records.
                print(r.ca.certificate.pem + r.newWithOld.pem + r.oldWithNew.pem, terminator: "")
            }
        }
    }

    struct Renew: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-certify an issuing CA (its key, or --new-key) under the current certificate of its issuer.")
        @OptionGroup var store: StoreOptions
        @Option var name: String
        @Flag(help: "Certify a new key of the same type instead of the current one (with --pkcs11-key: that token key).") var newKey = false
        /// A new key already in a token; implies --new-key.
        @OptionGroup var token: PKCS11KeyOptions
        @Option(help: "Name of the store CA that signs it (default: the one that signed it).") var issuer: String?
        @Option(help: "Validity in days (default: as long as the current certificate's).") var days: Int?
        @OptionGroup var output: JSONOption

        func run() throws {
            let reference = try token.reference()
            let ca = try store.administration().renew(name: name, newKey: newKey || reference != nil, tokenKey: reference,
                                                      issuer: issuer, days: days)
            if output.json { try printJSON(caJSON(ca)) } else { print(ca.certificate.pem, terminator: "") }
        }
    }
}
