import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The page at `/`: one HTML document with its style and script inside it,
/// compiled into the binary (no build step, no file to install, no CDN).
///
/// Its Content-Security-Policy lets it load nothing from anywhere but its
/// own origin, and runs only its own script and style, named by their
/// SHA-256 (inline code injected into it would not run).
enum AdminPage {
    /// The document.
    static let html: String =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<title>Ferry</title><style>\(PageStyle.css)</style></head>"
        + "<body>\(PageBody.html)<script>\(PageScript.javascript)</script></body></html>"

    /// The policy: nothing but this origin, and only this page's own script and style.
    static let contentSecurityPolicy: String = {
        func hash(_ text: String) -> String {
            "'sha256-\(Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString())'"
        }
        return [
            "default-src 'none'", "connect-src 'self'", "img-src 'self' data: blob:",
            "script-src \(hash(PageScript.javascript))", "style-src \(hash(PageStyle.css))",
            "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }()

    /// The page's response, with its policy.
    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }

    private static let buffer = ByteBuffer(string: html)
}
