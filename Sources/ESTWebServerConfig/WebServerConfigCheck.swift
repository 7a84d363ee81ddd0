import ESTCA
import Foundation

/// `estfcgi doctor --nginx-conf/--apache-conf`: does the web server hand the responder
/// what it needs, the way it must (RFC 7030 §3.3.2: the client certificate from the TLS
/// layer, never from a header), and does it reach a responder that is there?
public enum WebServerConfigCheck {
    // MARK: nginx

    public static func nginx(path: String, limits: ConfigLimits = ConfigLimits()) -> [HealthFinding] {
        let config: NginxConfig
        do { config = try NginxConfig(path: path, limits: limits) } catch let e as ConfigReadError {
            return [HealthFinding(.fail, "nginx \(path)", "not checked: \(e)", fix: "mend the config (nginx -t), or give the file that holds the EST server block")]
        } catch {
            return [HealthFinding(.fail, "nginx \(path)", "cannot read: \(error)", fix: "give the file that holds the EST server block")]
        }
        var out: [HealthFinding] = []
        for file in config.unreadable {
            out.append(HealthFinding(.warn, "nginx \(path)", "include \(file) could not be read; it was not checked"))
        }
        // Each location with its enclosing blocks (http, server, outer locations), innermost last.
        var locations: [(NginxConfig.Directive, [NginxConfig.Directive])] = []
        func walk(_ ds: [NginxConfig.Directive], _ parents: [NginxConfig.Directive]) {
            for d in ds {
                guard let children = d.children else { continue }
                if d.name == "location", children.contains(where: { $0.name == "fastcgi_pass" }) { locations.append((d, parents)) }
                walk(children, parents + [d])
            }
        }
        walk(config.directives, [])
        let est = locations.filter { loc, _ in
            loc.args.joined(separator: " ").contains("well-known/est") || param(loc.children ?? [], "ESTFCGI_PROFILE") != nil
        }
        guard !est.isEmpty else {
            return out + [HealthFinding(.fail, "nginx \(path)", "no location passes /.well-known/est/ to a FastCGI responder",
                                        fix: "include the location of nginx/estfcgi.conf in the server block")]
        }
        for (loc, parents) in est {
            // The metrics location carries no enrollment: only who may reach it matters.
            if loc.args.joined(separator: " ").hasSuffix(".metrics") { out += nginxMetrics(loc); continue }
            out += nginxLocation(loc, parents)
        }
        return out
    }

    static func param(_ ds: [NginxConfig.Directive], _ name: String) -> NginxConfig.Directive? {
        ds.last { $0.name == "fastcgi_param" && $0.args.first == name }
    }

    /// The innermost value of `name` in the location or its enclosing blocks.
    static func inherited(_ name: String, _ loc: NginxConfig.Directive, _ parents: [NginxConfig.Directive]) -> NginxConfig.Directive? {
        for block in ([loc] + parents.reversed()) {
            if let d = (block.children ?? []).last(where: { $0.name == name }) { return d }
        }
        return nil
    }

    static func nginxLocation(_ loc: NginxConfig.Directive, _ parents: [NginxConfig.Directive]) -> [HealthFinding] {
        let subject = "nginx \(loc.location) (location \(loc.args.joined(separator: " ")))"
        let body = loc.children ?? []
        var out: [HealthFinding] = []
        // fastcgi_param is inherited only by a block that sets none of its own.
        let params = ([loc] + parents.reversed()).first { ($0.children ?? []).contains { $0.name == "fastcgi_param" } }?.children ?? []

        switch inherited("ssl_verify_client", loc, parents)?.args.first {
        case "optional_no_ca"?:
            out.append(HealthFinding(.ok, subject, "ssl_verify_client optional_no_ca: every client is asked for a certificate, the responder judges it"))
        case let v? where v == "on" || v == "optional":
            out.append(HealthFinding(.warn, subject, "ssl_verify_client \(v): nginx also judges the certificate, so bootstrap CAs it does not know are cut off before the responder's per-profile trust",
                                     fix: "ssl_verify_client optional_no_ca;"))
        default:
            out.append(HealthFinding(.fail, subject, "no client certificate is asked for (ssl_verify_client off or absent): every enrollment gets 401",
                                     fix: "ssl_verify_client optional_no_ca; in the server block"))
        }

        if let cert = param(params, "SSL_CLIENT_CERT") {
            let value = cert.args.dropFirst().first ?? ""
            if value == "$ssl_client_escaped_cert" || value == "$ssl_client_raw_cert" || value == "$ssl_client_cert" {
                out.append(HealthFinding(.ok, subject, "SSL_CLIENT_CERT from the TLS layer (\(value))"))
            } else {
                out.append(HealthFinding(.fail, "nginx \(cert.location)", "SSL_CLIENT_CERT is set from \(value.isEmpty ? "nothing" : value), not from the TLS layer: \(value.hasPrefix("$http_") ? "a request header, which any client can send" : "not a certificate the handshake verified")",
                                         fix: "fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;"))
            }
        } else {
            out.append(HealthFinding(.fail, subject, "SSL_CLIENT_CERT is not passed: every enrollment gets 401",
                                     fix: "fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;"))
        }

        if let auth = param(params, "AUTH_TYPE") {
            let basic = inherited("auth_basic", loc, parents)
            if basic == nil || basic?.args.first == "off" {
                out.append(HealthFinding(.fail, "nginx \(auth.location)", "AUTH_TYPE is set where nginx checks no password (auth_basic off): REMOTE_USER is then the client's own claim",
                                         fix: "set AUTH_TYPE only in a location with auth_basic (nginx/estfcgi-http-auth.conf)"))
            } else {
                out.append(HealthFinding(.ok, subject, "HTTP authentication by auth_basic, passed with AUTH_TYPE"))
            }
        }

        out += nginxMetrics(loc)
        if let pass = body.last(where: { $0.name == "fastcgi_pass" }), let target = pass.args.first {
            out.append(socketFinding(target.hasPrefix("unix:") ? String(target.dropFirst(5)) : target, subject: "nginx \(pass.location)"))
        }
        return out
    }

    /// Metrics are for the monitoring host: a location that turns them on should say who.
    static func nginxMetrics(_ loc: NginxConfig.Directive) -> [HealthFinding] {
        let body = loc.children ?? []
        guard let metrics = param(body, "ESTFCGI_METRICS"), metrics.args.dropFirst().first == "on" else { return [] }
        if body.contains(where: { $0.name == "allow" || $0.name == "deny" || $0.name == "auth_basic" }) {
            return [HealthFinding(.ok, "nginx \(metrics.location)", "metrics on, for the hosts the location allows")]
        }
        return [HealthFinding(.warn, "nginx \(metrics.location)", "metrics are on for anyone who reaches this location",
                              fix: "allow MONITORING-HOST; deny all; in the location")]
    }

    // MARK: Apache

    public static func apache(path: String, limits: ConfigLimits = ConfigLimits()) -> [HealthFinding] {
        let config: ApacheConfig
        do { config = try ApacheConfig(path: path, limits: limits) } catch {
            guard FileManager.default.isReadableFile(atPath: path) else {
                return [HealthFinding(.fail, "apache \(path)", "cannot read \(path)", fix: "give the file that holds the EST virtual host")]
            }
            return [HealthFinding(.fail, "apache \(path)", "not checked: \(error)", fix: "mend the config (apache2ctl configtest), or give the file that holds the EST virtual host")]
        }
        var out: [HealthFinding] = []
        for file in config.unreadable {
            out.append(HealthFinding(.warn, "apache \(path)", "Include \(file) could not be read; it was not checked"))
        }
        var verify: (String, String)? = nil
        var exportsCert = false, target = false
        for directive in config.lines {
            let line = directive.text, words = directive.words
            let subject = "apache \(directive.location)"
            switch words[0].lowercased() {
            case "sslverifyclient": verify = (words.dropFirst().first?.lowercased() ?? "", directive.location)
            case "ssloptions": if words.contains(where: { $0.lowercased() == "+exportcertdata" }) { exportsCert = true }
            case "proxypass":
                guard let spec = words.dropFirst().first(where: { $0.contains("fcgi://") })?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) else { break }
                target = true
                if spec.hasPrefix("unix:"), let socket = spec.dropFirst(5).split(separator: "|").first {
                    out.append(socketFinding(String(socket), subject: subject))
                } else {
                    out.append(socketFinding(String(spec.dropFirst("fcgi://".count).split(separator: "/").first ?? ""), subject: subject))
                }
            case "fcgidwrapper", "scriptalias":
                target = true
                if let program = words.dropFirst(words[0].lowercased() == "scriptalias" ? 2 : 1).first?
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\"")) {
                    out.append(access(program, X_OK) == 0
                        ? HealthFinding(.ok, subject, "\(program) is there and executable")
                        : HealthFinding(.fail, subject, "\(program) is not an executable file", fix: "install estfcgi there, or correct the path"))
                }
            default: break
            }
            // The certificate must come from mod_ssl: a directive that sets it is a forgery path.
            if line.range(of: "SSL_CLIENT_CERT", options: .caseInsensitive) != nil,
               ["setenv", "setenvif", "setenvifnocase", "setenvifexpr", "proxyfcgisetenvif", "requestheader", "fcgidinitialenv"]
                .contains(words[0].lowercased()) {
                out.append(HealthFinding(.fail, subject, "\(words[0]) sets SSL_CLIENT_CERT\(line.lowercased().contains("http") ? " from a request header, which any client can send" : ""): only mod_ssl may",
                                         fix: "remove it; SSLOptions +ExportCertData passes the verified certificate"))
            }
        }
        switch verify?.0 {
        case "optional_no_ca"?:
            out.append(HealthFinding(.ok, "apache \(verify!.1)", "SSLVerifyClient optional_no_ca: every client is asked for a certificate, the responder judges it"))
        case let v? where v == "require" || v == "optional":
            out.append(HealthFinding(.warn, "apache \(verify!.1)", "SSLVerifyClient \(v): Apache also judges the certificate, so bootstrap CAs it does not know are cut off",
                                     fix: "SSLVerifyClient optional_no_ca"))
        default:
            out.append(HealthFinding(.fail, "apache \(path)", "no client certificate is asked for (SSLVerifyClient none or absent): every enrollment gets 401",
                                     fix: "SSLVerifyClient optional_no_ca in the virtual host"))
        }
        out.append(exportsCert
            ? HealthFinding(.ok, "apache \(path)", "SSLOptions +ExportCertData: SSL_CLIENT_CERT from mod_ssl")
            : HealthFinding(.fail, "apache \(path)", "SSL_CLIENT_CERT is not exported: every enrollment gets 401",
                            fix: "SSLOptions +ExportCertData +StdEnvVars inside the EST Location"))
        if !target {
            out.append(HealthFinding(.fail, "apache \(path)", "no ProxyPass to fcgi://, FcgidWrapper or ScriptAlias for the responder",
                                     fix: "use apache/estfcgi.conf's Location"))
        }
        return out
    }

    // MARK: -

    /// A unix socket path (must be a socket) or host:port (must accept a connection).
    static func socketFinding(_ target: String, subject: String) -> HealthFinding {
        if target.hasPrefix("/") {
            var st = stat()
            guard stat(target, &st) == 0 else {
                return HealthFinding(.fail, subject, "no socket at \(target): is estfcgi serve running?",
                                     fix: "start the responder (systemctl start estfcgi@TENANT.socket, or estfcgi serve --socket \(target))")
            }
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                return HealthFinding(.fail, subject, "\(target) is not a socket", fix: "point fastcgi_pass/ProxyPass at the responder's socket")
            }
            return HealthFinding(.ok, subject, "responder socket \(target) exists (mode \(String(st.st_mode & 0o777, radix: 8)))")
        }
        let parts = target.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else {
            return HealthFinding(.warn, subject, "FastCGI target \(target) not checked (not a socket path or host:port)")
        }
        let host = parts[0] == "localhost" ? "127.0.0.1" : String(parts[0])
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { if fd >= 0 { close(fd) } }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard fd >= 0, inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            return HealthFinding(.warn, subject, "FastCGI target \(target) not checked (not an IPv4 address)")
        }
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        return connected
            ? HealthFinding(.ok, subject, "responder at \(target) accepts connections")
            : HealthFinding(.fail, subject, "nothing accepts connections at \(target): is estfcgi serve running?",
                            fix: "start the responder (estfcgi serve --listen \(target))")
    }
}
