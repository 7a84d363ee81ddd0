/// Certificate serial numbers as operators type them: hex in any case, with or without
/// colons and leading zeros. The store keeps lowercase hex without leading zeros.
public enum Serial {
    public static func normalize(_ input: String) -> String? {
        let hex = input.replacingOccurrences(of: ":", with: "").lowercased()
        // ASCII only: Character.isHexDigit also takes fullwidth digits, which no stored
        // serial holds, so a denial or revocation typed with them would match nothing.
        guard !hex.isEmpty, hex.utf8.allSatisfy(isASCIIHexDigit) else { return nil }
        let trimmed = hex.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// 0-9, a-f, A-F as bytes.
    public static func isASCIIHexDigit(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x61...0x66).contains(b) || (0x41...0x46).contains(b)
    }
}
