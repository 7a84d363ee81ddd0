import ESTCA
import Foundation

/// `a,b,c` lists, empty items dropped.
func list(_ s: String?) -> [String]? {
    s.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
}

func readFile(_ path: String, what: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CAError.badRequest("cannot read \(what) file \(path)")
    }
    return data
}
