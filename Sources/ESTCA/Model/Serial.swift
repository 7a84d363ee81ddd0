/// Certificate serial numbers as operators type them: hex in any case, with or without
/// colons and leading zeros. The store keeps lowercase hex without leading zeros.
public enum Serial {
    public static func normalize(_ input: String) -> String? {
        let hex = input.replacingOccurrences(of: ":", with: "").lowercased()
        guard !hex.isEmpty, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
        let trimmed = hex.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
