import ESTCA
import ESTCore
import ESTSQL
import Foundation

extension SQLCAStore {
    static func devices(_ db: any SQLConnection, where condition: String, _ params: [any SQLBindable]) throws -> [Device] {
        try db.rows("SELECT \(StoreRecords.deviceColumns) FROM devices WHERE \(condition)", params).map(StoreRecords.device)
    }

    public func device(_ key: DeviceKey) throws -> Device? {
        try read { try Self.devices($0, where: "kind = ? AND name = ?", [key.kind.rawValue, key.name]).first }
    }

    public func devices(named name: String) throws -> [Device] {
        try read { try Self.devices($0, where: "name = ? ORDER BY kind", [name]) }
    }

    public func devices(profile: CertificateFilter.ProfileSelection) throws -> [Device] {
        try read { db in
            switch profile {
            case .any: return try Self.devices(db, where: "TRUE ORDER BY name, kind", [])
            case .defaultProfile: return try Self.devices(db, where: "profile IS NULL ORDER BY name, kind", [])
            case .label(let label): return try Self.devices(db, where: "profile = ? ORDER BY name, kind", [label])
            }
        }
    }

    public func addDevices(_ names: [String], kind: DeviceIdentifier, profile: String?, audit: AuditEvent, now: Date) throws -> DeviceAddition {
        try write { db in
            var result = DeviceAddition()
            let stamp = Timestamp.string(now)
            for name in names {
                // ON CONFLICT: a device recorded meanwhile (jit, another operator) is reported, not an error.
                if try db.rows("""
                    INSERT INTO devices (kind, name, profile, source, created_at) VALUES (?, ?, ?, 'operator', ?)
                    ON CONFLICT (kind, name) DO NOTHING RETURNING id
                    """, [kind.rawValue, name, profile, stamp]).isEmpty {
                    guard let existing = try Self.devices(db, where: "kind = ? AND name = ?", [kind.rawValue, name]).first else {
                        throw StoreError.failed("device \(name) neither added nor found")
                    }
                    if existing.profile == profile { result.present.append(name) }
                    else { result.conflicting.append((name, existing.profile)) }
                    continue
                }
                result.added.append(name)
            }
            var event = audit
            event.reason = "added \(result.added.count), already registered \(result.present.count), "
                + "under another profile \(result.conflicting.count)"
            if result.added.count == 1 { event.reason += ": \(result.added[0])" }
            try Self.insertAudit(db, event, now: now)
            return result
        }
    }

    public func removeDevice(_ key: DeviceKey, audit: AuditEvent, now: Date) throws {
        try write { db in
            guard let device = try Self.devices(db, where: "kind = ? AND name = ?\(Self.lock(db, .update))",
                                                [key.kind.rawValue, key.name]).first else {
                throw StoreError.notFound("no device \(key.name)")
            }
            try db.run("UPDATE certificates SET device_id = NULL WHERE device_id = ?", [device.id])
            try db.run("DELETE FROM devices WHERE id = ?", [device.id])
            try Self.insertAudit(db, audit, now: now)
        }
    }

    public func setStatus(_ status: DeviceStatus, ofDevice key: DeviceKey, reason: String, audit: AuditEvent,
                          now: Date) throws -> Device {
        let name = key.name
        return try write { db in
            guard let device = try Self.devices(db, where: "kind = ? AND name = ?\(Self.lock(db, .noKeyUpdate))",
                                                [key.kind.rawValue, name]).first else {
                throw StoreError.notFound("no device \(name)")
            }
            guard device.status != status else { throw StoreError.conflict("device \(name) is already \(status.rawValue)") }
            let disabled = status == .disabled
            try db.run("UPDATE devices SET status = ?, disabled_at = ?, disabled_reason = ? WHERE id = ?",
                       [status.rawValue, disabled ? Timestamp.string(now) : nil, disabled ? reason : nil, device.id])
            try Self.insertAudit(db, audit, now: now)
            guard let changed = try Self.devices(db, where: "id = ?", [device.id]).first else {
                throw StoreError.failed("device vanished")
            }
            return changed
        }
    }
}
