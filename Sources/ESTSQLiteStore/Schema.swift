import ESTSQLite

/// The store's schema. Append a migration; never edit a shipped one.
enum Schema {
    static let migrator = Migrator([
        // 1: CAs, profiles, issued certificates, audit log.
        [
            """
            CREATE TABLE cas (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                subject TEXT NOT NULL,
                certificate BLOB NOT NULL,
                chain_pem TEXT NOT NULL DEFAULT '',
                encrypted_key TEXT,
                status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
                not_after TEXT NOT NULL,
                fingerprint TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE profiles (
                id INTEGER PRIMARY KEY,
                label TEXT,
                issuer_ca_id INTEGER NOT NULL REFERENCES cas(id),
                trust TEXT NOT NULL DEFAULT '',
                cacerts TEXT NOT NULL DEFAULT '',
                validity_days INTEGER NOT NULL DEFAULT 365 CHECK (validity_days > 0),
                key_types TEXT NOT NULL DEFAULT '',
                eku TEXT NOT NULL DEFAULT 'clientAuth',
                reenroll_window_days INTEGER,
                revoke_on_reenroll INTEGER NOT NULL DEFAULT 0,
                serverkeygen TEXT,
                serverkeygen_encrypt INTEGER NOT NULL DEFAULT 0,
                csrattrs TEXT NOT NULL DEFAULT '',
                enforce_csrattrs INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """,
            // The default profile has label NULL; '' never is a valid label, so this
            // index makes both the labels and the default unique.
            "CREATE UNIQUE INDEX profiles_label ON profiles (ifnull(label, ''))",
            """
            CREATE TABLE certificates (
                id INTEGER PRIMARY KEY,
                serial TEXT NOT NULL,
                issuer_ca_id INTEGER NOT NULL REFERENCES cas(id),
                profile TEXT,
                subject TEXT NOT NULL,
                sans TEXT NOT NULL DEFAULT '',
                not_before TEXT NOT NULL,
                not_after TEXT NOT NULL,
                fingerprint TEXT NOT NULL UNIQUE,
                der BLOB NOT NULL,
                status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
                revoked_at TEXT,
                revocation_reason TEXT,
                replaces_id INTEGER REFERENCES certificates(id),
                requester TEXT,
                issued_at TEXT NOT NULL,
                UNIQUE (issuer_ca_id, serial)
            )
            """,
            "CREATE INDEX certificates_serial ON certificates (serial)",
            "CREATE INDEX certificates_not_after ON certificates (not_after)",
            """
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                time TEXT NOT NULL,
                operation TEXT NOT NULL,
                profile TEXT,
                client TEXT,
                status INTEGER,
                outcome TEXT NOT NULL,
                reason TEXT NOT NULL DEFAULT '',
                serial TEXT
            )
            """,
        ],
        // 2: the subjectKeyIdentifier of issued certificates, to find the recipient of an
        // encrypted server-generated key (RFC 7030 §4.4.1.2 AsymmetricDecryptKeyIdentifier).
        [
            "ALTER TABLE certificates ADD COLUMN ski TEXT",
            "CREATE INDEX certificates_ski ON certificates (ski)",
        ],
        // 3: a profile's trust and cacerts CAs as rows referencing cas(id), in order,
        // instead of comma-separated names.
        [
            """
            CREATE TABLE profile_trust (
                profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
                ca_id INTEGER NOT NULL REFERENCES cas(id),
                position INTEGER NOT NULL,
                PRIMARY KEY (profile_id, ca_id)
            )
            """,
            """
            CREATE TABLE profile_cacerts (
                profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
                ca_id INTEGER NOT NULL REFERENCES cas(id),
                position INTEGER NOT NULL,
                PRIMARY KEY (profile_id, ca_id)
            )
            """,
            Schema.splitNames(column: "trust", into: "profile_trust"),
            Schema.splitNames(column: "cacerts", into: "profile_cacerts"),
            "ALTER TABLE profiles DROP COLUMN trust",
            "ALTER TABLE profiles DROP COLUMN cacerts",
        ],
        // 4: hardening. A profile's identity policy; the bootstrap certificate behind each
        // first enrollment; how each CA key is protected; denied bootstrap certificates.
        [
            "ALTER TABLE profiles ADD COLUMN san_kinds TEXT NOT NULL DEFAULT 'dns,ip,uri,email'",
            "ALTER TABLE profiles ADD COLUMN max_sans INTEGER NOT NULL DEFAULT 100",
            "ALTER TABLE profiles ADD COLUMN max_subject_bytes INTEGER NOT NULL DEFAULT 2048",
            "ALTER TABLE profiles ADD COLUMN bind_identity TEXT NOT NULL DEFAULT 'none'",
            "ALTER TABLE profiles ADD COLUMN cn_pattern TEXT",
            "ALTER TABLE profiles ADD COLUMN dns_pattern TEXT",
            "ALTER TABLE profiles ADD COLUMN bootstrap_uses INTEGER",
            // SHA-256 of the bootstrap certificate's issuer and serial (issuerAndSerialDigest).
            "ALTER TABLE certificates ADD COLUMN requester_key TEXT",
            "CREATE INDEX certificates_requester ON certificates (requester_key, profile)",
            "ALTER TABLE cas ADD COLUMN key_protection TEXT",
            // What OpenSSL's PEM_write_bio_PKCS8PrivateKey gave: PBKDF2, 2,048 iterations.
            "UPDATE cas SET key_protection = 'pbkdf2-2048' WHERE encrypted_key IS NOT NULL",
            """
            CREATE TABLE bootstrap_denials (
                id INTEGER PRIMARY KEY,
                issuer_ca_id INTEGER NOT NULL REFERENCES cas(id),
                serial TEXT,
                fingerprint TEXT,
                reason TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                CHECK ((serial IS NULL) <> (fingerprint IS NULL))
            )
            """,
            "CREATE UNIQUE INDEX bootstrap_denials_key ON bootstrap_denials (issuer_ca_id, ifnull(serial, ''), ifnull(fingerprint, ''))",
            "CREATE INDEX bootstrap_denials_serial ON bootstrap_denials (serial)",
            "CREATE INDEX bootstrap_denials_fingerprint ON bootstrap_denials (fingerprint)",
        ],
        // 5: a version of what responders cache (CAs, profiles and their trust and cacerts
        // rows), bumped by triggers in the very transaction of any change, by any process;
        // and the successors of a certificate, found without a scan.
        [
            "CREATE INDEX certificates_replaces ON certificates (replaces_id)",
            "CREATE TABLE material_version (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
            "INSERT INTO material_version (id, value) VALUES (1, 1)",
        ] + Schema.versionTriggers(on: ["cas", "profiles", "profile_trust", "profile_cacerts"]),
        // 6: operator policy. A profile's authentication, device registry, approval and CRL
        // distribution point; the registry; requests held for approval (RFC 7030 §4.2.3);
        // the CRLs each CA published (RFC 5280 §5), numbered per CA.
        [
            "ALTER TABLE profiles ADD COLUMN auth TEXT NOT NULL DEFAULT 'cert'",
            "ALTER TABLE profiles ADD COLUMN registration TEXT NOT NULL DEFAULT 'off'",
            "ALTER TABLE profiles ADD COLUMN device_id TEXT NOT NULL DEFAULT 'cn'",
            "ALTER TABLE profiles ADD COLUMN replaceable_enrollment INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE profiles ADD COLUMN approval TEXT NOT NULL DEFAULT 'auto'",
            "ALTER TABLE profiles ADD COLUMN approval_retry_after INTEGER NOT NULL DEFAULT 60",
            "ALTER TABLE profiles ADD COLUMN crl_url TEXT",
            """
            CREATE TABLE devices (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                profile TEXT,
                status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
                source TEXT NOT NULL CHECK (source IN ('operator', 'jit')),
                created_at TEXT NOT NULL,
                disabled_at TEXT,
                disabled_reason TEXT
            )
            """,
            "CREATE INDEX devices_profile ON devices (profile)",
            "ALTER TABLE certificates ADD COLUMN device_id INTEGER REFERENCES devices(id)",
            "CREATE INDEX certificates_device ON certificates (device_id)",
            """
            CREATE TABLE enrollment_requests (
                id INTEGER PRIMARY KEY,
                csr_hash TEXT NOT NULL,
                profile TEXT,
                operation TEXT NOT NULL,
                device TEXT,
                subject TEXT NOT NULL,
                key_type TEXT NOT NULL,
                requester TEXT,
                requester_key TEXT NOT NULL,
                csr BLOB NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'issued')),
                reason TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                decided_at TEXT,
                certificate_id INTEGER REFERENCES certificates(id)
            )
            """,
            // One open request per CSR, profile and operation; answered ones are history.
            """
            CREATE UNIQUE INDEX enrollment_requests_open ON enrollment_requests (csr_hash, ifnull(profile, ''), operation)
            WHERE status <> 'issued'
            """,
            "CREATE INDEX enrollment_requests_status ON enrollment_requests (status)",
            "CREATE INDEX enrollment_requests_requester ON enrollment_requests (requester_key, status)",
            """
            CREATE TABLE crls (
                id INTEGER PRIMARY KEY,
                ca_id INTEGER NOT NULL REFERENCES cas(id),
                number INTEGER NOT NULL,
                this_update TEXT NOT NULL,
                next_update TEXT NOT NULL,
                entries INTEGER NOT NULL,
                der BLOB NOT NULL,
                UNIQUE (ca_id, number)
            )
            """,
        ],
        // 7: a request held for approval belongs to the credentials that made it: someone else
        // holding the same CSR makes a request of their own instead of taking this one over.
        [
            "DROP INDEX enrollment_requests_open",
            """
            CREATE UNIQUE INDEX enrollment_requests_open ON enrollment_requests
                (csr_hash, ifnull(profile, ''), operation, requester_key) WHERE status <> 'issued'
            """,
        ],
        // 8: a device is its kind (the CSR field its profile's --device-id reads) and its
        // name: the same text as a CN and as a SAN URI is two devices. Each existing device
        // takes the kind of the profile it is registered under. SQLite cannot drop a column's
        // UNIQUE, so the table is rebuilt (the migrator turns foreign keys off around this
        // and checks them before it commits). And the CA whose CRL a profile's /LABEL/crl
        // serves once its issuer has changed (RFC 5280 §4.2.1.13: the URL in a certificate
        // keeps naming its issuer's CRL).
        [
            """
            CREATE TABLE devices_v8 (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('cn', 'san-uri', 'serial')),
                name TEXT NOT NULL,
                profile TEXT,
                status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
                source TEXT NOT NULL CHECK (source IN ('operator', 'jit')),
                created_at TEXT NOT NULL,
                disabled_at TEXT,
                disabled_reason TEXT,
                UNIQUE (kind, name)
            )
            """,
            """
            INSERT INTO devices_v8 (id, kind, name, profile, status, source, created_at, disabled_at, disabled_reason)
            SELECT d.id, coalesce((SELECT p.device_id FROM profiles p WHERE p.label IS d.profile), 'cn'),
                   d.name, d.profile, d.status, d.source, d.created_at, d.disabled_at, d.disabled_reason
            FROM devices d
            """,
            "DROP TABLE devices",
            "ALTER TABLE devices_v8 RENAME TO devices",
            "CREATE INDEX devices_profile ON devices (profile)",
            "ALTER TABLE profiles ADD COLUMN crl_ca_id INTEGER REFERENCES cas(id)",
        ],
        // 9: OCSP (RFC 6960). Each CA's signer: a delegated responder certificate with its
        // encrypted key, or neither when the CA signs itself; part of the material responders
        // cache, so a rotation is seen by the next answer. And a profile's responder URL for
        // the authorityInfoAccess of the certificates it issues (RFC 5280 §4.2.2.1).
        [
            """
            CREATE TABLE ocsp_signers (
                ca_id INTEGER PRIMARY KEY REFERENCES cas(id),
                certificate BLOB,
                encrypted_key TEXT,
                key_protection TEXT,
                validity_hours INTEGER NOT NULL CHECK (validity_hours > 0),
                not_after TEXT,
                created_at TEXT NOT NULL
            )
            """,
            "ALTER TABLE profiles ADD COLUMN ocsp_url TEXT",
        ] + Schema.versionTriggers(on: ["ocsp_signers"]),
        // 10 ("rollover"): a CA's earlier generations (RFC 4210 §4.4 root key rollover, RFC 7030
        // §4.1.3; `ca renew`): the certificate, chain and key it had, the two link
        // certificates of a root rollover, and whether its overlap is still on. In the
        // material version: they are trusted for client chains and served by /cacerts.
        [
            """
            CREATE TABLE ca_generations (
                id INTEGER PRIMARY KEY,
                ca_id INTEGER NOT NULL REFERENCES cas(id),
                certificate BLOB NOT NULL,
                chain_pem TEXT NOT NULL DEFAULT '',
                encrypted_key TEXT,
                key_protection TEXT,
                not_after TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                new_with_old BLOB,
                old_with_new BLOB,
                in_overlap INTEGER NOT NULL DEFAULT 0 CHECK (in_overlap IN (0, 1)),
                retired_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX ca_generations_ca ON ca_generations (ca_id)",
        ] + versionTriggers(on: ["ca_generations"]),
        // 11: pkcs11 token keys. A CA key may live in a PKCS#11 token: the store keeps the
        // RFC 7512 URI naming it and the module file given with the CA, never key material
        // nor the PIN. A CA has an encrypted key or a token key, not both.
        [
            "ALTER TABLE cas ADD COLUMN pkcs11_uri TEXT CHECK (pkcs11_uri IS NULL OR encrypted_key IS NULL)",
            "ALTER TABLE cas ADD COLUMN pkcs11_module TEXT",
        ],
        // 12: CA lifecycle finishing (issue 22). An earlier generation's key may be in a token
        // (a token CA rolled over or renewed): its URI and module, as `cas` keeps them. And
        // the CRLs an earlier key signs of what it certified (RFC 4210 §4.4), each served at
        // its key's own URL (`/crl/CA(N)`, see docs/design.md); `crls` keeps the current key's.
        [
            "ALTER TABLE ca_generations ADD COLUMN pkcs11_uri TEXT CHECK (pkcs11_uri IS NULL OR encrypted_key IS NULL)",
            "ALTER TABLE ca_generations ADD COLUMN pkcs11_module TEXT",
            """
            CREATE TABLE key_crls (
                id INTEGER PRIMARY KEY,
                ca_id INTEGER NOT NULL REFERENCES cas(id),
                key_id TEXT NOT NULL,
                number INTEGER NOT NULL,
                this_update TEXT NOT NULL,
                next_update TEXT NOT NULL,
                entries INTEGER NOT NULL,
                der BLOB NOT NULL,
                UNIQUE (ca_id, key_id, number)
            )
            """,
        ],
        // 13: the authorization hook (issue 25). A profile may ask the operator's service (a
        // URL) or program (a command) before signing, one of the two; the timeout, and for
        // https the CA file and the client certificate and key files (paths, never contents).
        [
            "ALTER TABLE profiles ADD COLUMN authorize_url TEXT",
            "ALTER TABLE profiles ADD COLUMN authorize_command TEXT CHECK (authorize_url IS NULL OR authorize_command IS NULL)",
            "ALTER TABLE profiles ADD COLUMN authorize_timeout_ms INTEGER NOT NULL DEFAULT 2000 CHECK (authorize_timeout_ms BETWEEN 1 AND 60000)",
            "ALTER TABLE profiles ADD COLUMN authorize_ca TEXT",
            "ALTER TABLE profiles ADD COLUMN authorize_client_cert TEXT",
            "ALTER TABLE profiles ADD COLUMN authorize_client_key TEXT",
        ],
        // 14 ("notifications"): event receivers and the transactional outbox. An event row
        // (a CloudEvents JSON body) and one delivery row per subscribed receiver commit in
        // the transaction of what they report; a receiver gets its deliveries in outbox id
        // order (commit order: SQLite has one writer). The lease columns are the
        // per-receiver lock of concurrent deliverers (see NotificationStore).
        [
            """
            CREATE TABLE notify_receivers (
                id INTEGER PRIMARY KEY,
                url TEXT NOT NULL UNIQUE,
                events TEXT NOT NULL,
                ca_file TEXT,
                secret_file TEXT,
                created_at TEXT NOT NULL,
                delivered INTEGER NOT NULL DEFAULT 0,
                failures INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT,
                last_error TEXT,
                last_error_at TEXT,
                last_delivered_at TEXT,
                lease_token TEXT,
                lease_until TEXT
            )
            """,
            """
            CREATE TABLE notify_outbox (
                id INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE notify_deliveries (
                receiver_id INTEGER NOT NULL REFERENCES notify_receivers(id),
                outbox_id INTEGER NOT NULL REFERENCES notify_outbox(id),
                delivered_at TEXT,
                PRIMARY KEY (receiver_id, outbox_id)
            )
            """,
            "CREATE INDEX notify_deliveries_pending ON notify_deliveries (receiver_id, outbox_id) WHERE delivered_at IS NULL",
            "CREATE INDEX notify_deliveries_outbox ON notify_deliveries (outbox_id)",
        ],
        // 15 ("performance", issue 24): fewer index pages written per issued certificate (two
        // pwrite64 per page in the WAL). certificates_serial repeated the UNIQUE (issuer_ca_id,
        // serial) index, a random leaf page more per insert: a lookup by serial alone names
        // the CAs' ids and uses the unique index. replaces_id and device_id are NULL for most
        // certificates, and every query on them is an equality (or a join) on a value: partial
        // indexes leave those rows out, and their shared last page is no longer rewritten.
        [
            "DROP INDEX certificates_serial",
            "DROP INDEX certificates_replaces",
            "CREATE INDEX certificates_replaces ON certificates (replaces_id) WHERE replaces_id IS NOT NULL",
            "DROP INDEX certificates_device",
            "CREATE INDEX certificates_device ON certificates (device_id) WHERE device_id IS NOT NULL",
        ],
    ])

    /// AFTER INSERT, UPDATE and DELETE triggers bumping `material_version` on each table.
    static func versionTriggers(on tables: [String]) -> [String] {
        tables.flatMap { table in
            ["INSERT", "UPDATE", "DELETE"].map { event in
                """
                CREATE TRIGGER \(table)_\(event.lowercased())_version AFTER \(event) ON \(table)
                BEGIN UPDATE material_version SET value = value + 1; END
                """
            }
        }
    }

    /// Copies the comma-separated CA names of `profiles.column` into `table`, keeping
    /// their order (CA names cannot contain commas).
    static func splitNames(column: String, into table: String) -> String {
        """
        WITH RECURSIVE split(profile_id, rest, name, position) AS (
            SELECT id, \(column) || ',', NULL, -1 FROM profiles WHERE \(column) <> ''
            UNION ALL
            SELECT profile_id, substr(rest, instr(rest, ',') + 1), substr(rest, 1, instr(rest, ',') - 1), position + 1
            FROM split WHERE rest <> ''
        )
        INSERT OR IGNORE INTO \(table) (profile_id, ca_id, position)
        SELECT s.profile_id, c.id, s.position FROM split s JOIN cas c ON c.name = s.name
        WHERE s.name IS NOT NULL AND s.name <> ''
        """
    }
}
