extension String {
    /// `self` with every byte `matches` accepts replaced by `replacement`, both ASCII, byte
    /// for byte: the UTF-8 stays valid, and a CR LF pair is two bytes here where a search by
    /// Character sees one grapheme and matches neither. Without Foundation's NSString bridge,
    /// which copied the string twice per call on every request's log line.
    func replacingASCII(where matches: (UInt8) -> Bool, with replacement: UInt8) -> String {
        guard utf8.contains(where: matches) else { return self }
        return String(decoding: utf8.map { matches($0) ? replacement : $0 }, as: UTF8.self)
    }
}
