import ESTCA
import ESTSQLite
import Foundation

/// The store file as `estfcgi doctor` sees it, before anything migrates or repairs it:
/// its mode and owners, schema version, integrity and dangling references.
public enum StoreInspection {
    public static func findings(path: String) -> [HealthFinding] {
        var out: [HealthFinding] = []
        var st = stat()
        guard stat(path, &st) == 0 else {
            return [HealthFinding(.fail, "store", "no store at \(path)", fix: "estfcgi init --db \(path)")]
        }
        let mode = st.st_mode & 0o777
        let owner = userName(st.st_uid)
        if mode & 0o007 != 0 {
            out.append(HealthFinding(.fail, "store", "\(path) is mode \(octal(mode)): others can read every issued certificate and the encrypted CA keys; the responder refuses it",
                                     fix: "chmod 600 \(path)"))
        } else {
            out.append(HealthFinding(mode & 0o020 != 0 ? .warn : .ok, "store", "\(path) mode \(octal(mode)), owner \(owner)",
                                     fix: mode & 0o020 != 0 ? "chmod 600 \(path) (or 640: the group reads, only the owner writes)" : ""))
        }
        // A side file made by another user (root running the CLI) locks the responder out.
        for side in [path + "-wal", path + "-shm"] {
            var s = stat()
            guard stat(side, &s) == 0 else { continue }
            if s.st_uid != st.st_uid {
                out.append(HealthFinding(.fail, "store", "\(side) belongs to \(userName(s.st_uid)), the store to \(owner): the other cannot write",
                                         fix: "chown \(owner) \(side)"))
            } else if s.st_mode & 0o007 != 0 {
                out.append(HealthFinding(.fail, "store", "\(side) is mode \(octal(s.st_mode & 0o777))", fix: "chmod 600 \(side)"))
            }
        }
        let db: Database
        do { db = try Database(path: path, create: false) } catch {
            out.append(HealthFinding(.fail, "store", "cannot open: \(error)", fix: "check the file is an estfcgi store and its owner"))
            return out
        }
        let latest = Schema.migrator.latestVersion
        let version: Int
        if case .integer(let v)? = try? db.scalar("SELECT max(version) FROM schema_version") { version = Int(v) } else { version = 0 }
        if version > latest {
            out.append(HealthFinding(.fail, "store", "schema version \(version) is newer than this estfcgi (\(latest))",
                                     fix: "run the estfcgi release that wrote it"))
        } else if version < latest {
            out.append(HealthFinding(.warn, "store", "schema version \(version); this estfcgi migrates it to \(latest) when it next opens it",
                                     fix: "back the store up, then run estfcgi init"))
        } else {
            out.append(HealthFinding(.ok, "store", "schema version \(version)"))
        }
        do {
            let lines = try db.query("PRAGMA integrity_check").compactMap { row -> String? in
                if case .text(let t)? = row.values.first { return t } else { return nil }
            }
            if lines == ["ok"] { out.append(HealthFinding(.ok, "store", "integrity check passed")) }
            else {
                out.append(HealthFinding(.fail, "store", "integrity check: \(lines.prefix(3).joined(separator: "; "))",
                                         fix: "restore the store from a backup"))
            }
            for row in try db.query("PRAGMA foreign_key_check") {
                let table = row.string("table") ?? "?", parent = row.string("parent") ?? "?", rowid = row.int("rowid") ?? -1
                // A profile is named by its label: the one an operator would mend.
                var what = "a row of \(table) (rowid \(rowid))"
                let profileID: Int64? = table == "profiles" ? rowid
                    : table.hasPrefix("profile_") ? (try? db.query("SELECT profile_id FROM \(table) WHERE rowid = ?", [rowid]))?.first?.int("profile_id") : nil
                if let profileID, let label = try? db.query("SELECT ifnull(label, '(default)') AS l FROM profiles WHERE id = ?", [profileID]).first?.string("l") {
                    what = "profile \(label)" + (table == "profiles" ? "" : " (\(table))")
                }
                out.append(HealthFinding(.fail, "store", "\(what) names a row of \(parent) that is not in the store",
                                         fix: profileID != nil ? "recreate the profile with CAs the store holds (profile delete, profile create)" : "restore the store from a backup"))
            }
        } catch {
            out.append(HealthFinding(.fail, "store", "cannot check: \(error)", fix: "restore the store from a backup"))
        }
        return out
    }

    static func octal(_ mode: mode_t) -> String { String(mode, radix: 8) }

    static func userName(_ uid: uid_t) -> String {
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }
}
