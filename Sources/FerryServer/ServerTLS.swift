import Ferry
import Foundation
import NIOSSL

/// The admin server's certificate and key, for HTTPS: a server that others
/// can reach then never sends its token or backups in clear text.
public struct ServerTLS: Sendable {
    /// The certificate chain, PEM, the server's first.
    public let certificateFile: URL
    /// The private key, PEM.
    public let keyFile: URL

    /// Names the files; ``configuration()`` reads them.
    public init(certificateFile: URL, keyFile: URL) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// The TLS configuration of the files.
    ///
    /// - Throws: ``FerryError`` (code `invalidConfiguration`) naming the
    ///   file that cannot be read as PEM.
    func configuration() throws -> TLSConfiguration {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(certificateFile.path)
        } catch {
            throw unreadable(certificateFile, "a PEM certificate chain")
        }
        guard !certificates.isEmpty else {
            throw unreadable(certificateFile, "a PEM certificate chain")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile.path, format: .pem)
        } catch {
            throw unreadable(keyFile, "a PEM private key")
        }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    private func unreadable(_ file: URL, _ what: String) -> FerryError {
        FerryError(
            .invalidConfiguration, "\(file.path) cannot be read as \(what).",
            changes: "Nothing was changed; the server did not start.",
            advice:
                "Check [server] tls_certificate and tls_key (FERRY_SERVER_TLS_CERTIFICATE, FERRY_SERVER_TLS_KEY)."
        )
    }
}
