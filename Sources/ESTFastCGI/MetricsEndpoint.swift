import ESTCore
import Foundation

/// `GET /.well-known/est/.metrics`: the process's `Metrics`, only where the web server's
/// location says `fastcgi_param ESTFCGI_METRICS on;`. Everywhere else the path goes on to
/// the core like any other, which answers 404: whether metrics are exposed, and to whom,
/// is decided in the web server's config, not by the client.
public enum MetricsEndpoint {
    public static let path = "/.well-known/est/.metrics"

    /// The answer to a metrics request, nil when the request is not one (or not allowed).
    public static func answer(params: [String: String], metrics: Metrics) -> ESTResponse? {
        guard params["ESTFCGI_METRICS"] == "on" else { return nil }
        let request = ESTRequest(params: params)
        guard request.path == path else { return nil }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .error(405, "metrics take GET", extraHeaders: [("Allow", "GET, HEAD")])
        }
        return ESTResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                           body: Data(metrics.render().utf8))
    }
}
