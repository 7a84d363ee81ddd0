import ESTCA
import ESTPostgres
import Foundation

/// A PostgreSQL store as `estfcgi doctor` sees it, before anything migrates it: can it be
/// reached, its schema version, foreign-key consistency, the material-version triggers.
/// (File modes are SQLite's concern: here the server guards the data.)
public enum PostgresStoreInspection {
    public static func findings(conninfo: String, overrides: [String: String] = [:]) -> [HealthFinding] {
        var out: [HealthFinding] = []
        let db: PGConnection
        do { db = try PGConnection(conninfo: conninfo, overrides: overrides) } catch {
            return [HealthFinding(.fail, "store", "\((error as? PGError)?.message ?? "\(error)")",
                                  fix: "check the URI, that the server runs, and the password in ~/.pgpass (or PGPASSFILE) or the service file")]
        }
        let version = db.serverVersion
        out.append(HealthFinding(.ok, "store", "PostgreSQL \(version / 10000).\(version % 10000), database \(db.databaseName), user \(db.user)"))
        let latest = PostgresSchema.migrator.latestVersion
        do {
            let current = try PostgresSchema.migrator.currentVersion(of: db)
            if current == 0 {
                out.append(HealthFinding(.fail, "store", "no estfcgi store in database \(db.databaseName)", fix: "estfcgi init --db URI"))
                return out
            } else if current > latest {
                out.append(HealthFinding(.fail, "store", "schema version \(current) is newer than this estfcgi (\(latest))",
                                         fix: "run the estfcgi release that wrote it"))
            } else if current < latest {
                out.append(HealthFinding(.warn, "store", "schema version \(current); this estfcgi migrates it to \(latest) when it next opens it",
                                         fix: "back the database up (pg_dump), then run estfcgi init"))
                return out
            } else {
                out.append(HealthFinding(.ok, "store", "schema version \(current)"))
            }
            out += try foreignKeys(db)
            // Three (insert, update, delete) on each of cas, profiles, profile_trust,
            // profile_cacerts and ca_generations (the rollover migration).
            if case .integer(let n) = try db.scalar("""
                SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname LIKE '%\\_version' AND t.tgenabled <> 'D'
                """), n == 3 * PostgresSchema.materialTables.count, case .integer = try db.scalar("SELECT value FROM material_version WHERE id = 1") {
                out.append(HealthFinding(.ok, "store", "material-version triggers in place"))
            } else {
                out.append(HealthFinding(.fail, "store", "material-version triggers missing or disabled: responders would not see CA and profile changes",
                                         fix: "restore the database from a backup (or re-enable the triggers)"))
            }
        } catch {
            out.append(HealthFinding(.fail, "store", "cannot check: \((error as? PGError)?.description ?? "\(error)")",
                                     fix: "check the user's privileges on the database"))
        }
        return out
    }

    /// Every foreign key of the store's schema: validated, and no row naming a missing
    /// parent (possible only if triggers were disabled, e.g. by a replica-role restore).
    static func foreignKeys(_ db: PGConnection) throws -> [HealthFinding] {
        var out: [HealthFinding] = []
        let keys = try db.query("""
            SELECT k.conname, k.conrelid::regclass::text AS child, quote_ident(a.attname) AS col,
                   k.confrelid::regclass::text AS parent, quote_ident(pa.attname) AS pcol, k.convalidated
            FROM pg_constraint k
            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
            JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
            WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace
            ORDER BY 1
            """)
        var broken = 0
        for key in keys {
            guard let child = key.string("child"), let col = key.string("col"), let parent = key.string("parent"),
                  let pcol = key.string("pcol") else { continue }
            if try !key.requiredBool("convalidated") {
                broken += 1
                out.append(HealthFinding(.fail, "store", "foreign key \(key.string("conname") ?? "?") is not validated",
                                         fix: "ALTER TABLE \(child) VALIDATE CONSTRAINT \(key.string("conname") ?? "?")"))
            }
            if case .integer(let n) = try db.scalar("""
                SELECT count(*) FROM \(child) c WHERE c.\(col) IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM \(parent) p WHERE p.\(pcol) = c.\(col))
                """), n > 0 {
                broken += 1
                out.append(HealthFinding(.fail, "store", "\(n) row(s) of \(child) name a row of \(parent) that is not in the store",
                                         fix: "restore the database from a backup"))
            }
        }
        if broken == 0 { out.append(HealthFinding(.ok, "store", "foreign keys consistent (\(keys.count) checked)")) }
        return out
    }
}
