import ArgumentParser
import ESTCore
import Foundation

struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (fields named as in the store).")
    var json = false
}

func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

func nullable(_ v: Any?) -> Any { v ?? NSNull() }

/// Plain-text output of values that devices chose (subjects, SANs, audit reasons):
/// control characters escaped, so that printing them cannot drive the terminal.
enum TextOutput {
    static func safe(_ s: String) -> String { PrintableText.escaped(s) }
}

/// `key: value` lines of a JSON object, keys sorted: null as `-`, lists joined by commas,
/// device-chosen text escaped (TextOutput.safe).
func printFields(_ j: [String: Any], except skipped: Set<String> = []) {
    for key in j.keys.sorted() where !skipped.contains(key) {
        let v = j[key]!
        let text: String
        if let a = v as? [String] { text = a.joined(separator: ",") }
        else if v is NSNull { text = "-" }
        else { text = "\(v)" }
        print("\(key): \(TextOutput.safe(text))")
    }
}
