import ArgumentParser
import Ferry
import FerryServer
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the admin server: the page, /health, and these commands over HTTP.",
        discussion: """
            Listens on 127.0.0.1:40406 unless --listen (env FERRY_SERVER_LISTEN; [server] listen) \
            says otherwise; an address other than loopback needs --allow-remote and a token given \
            beforehand. Every route but the page, /health, /livez and /readyz needs \
            'Authorization: Bearer TOKEN': the token comes from FERRY_SERVER_TOKEN, or from the \
            file [server] token_file names (default: ferry-server.token beside ferry.toml), which \
            is made (0600) with a new token, shown once, when it does not exist.
            """)

    @OptionGroup var common: CommonOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to listen: HOST:PORT, [IPV6]:PORT or PORT (default 127.0.0.1:40406).",
            valueName: "address"))
    var listen: String?

    @Flag(
        name: .long,
        help: "Listen on an address other than loopback (needs a token given beforehand).")
    var allowRemote = false

    /// The line `--json` prints once the server listens (docs/JSON.md).
    struct Started: Encodable {
        let command = "serve"
        let ok = true
        let error: FerryError? = nil
        let listen: String
        let url: String
        /// The token file, or nil when the token came from FERRY_SERVER_TOKEN.
        let tokenFile: String?
        /// The token, only when it was made now (shown once).
        let token: String?
    }

    func run() async throws {
        let console = Console(isJSON: common.wantsJSON)
        try await console.run("serve", readsOnly: true) {
            let settings = try common.settings(adding: Settings { $0.serverListen = listen })
            let address = try settings.serverListen.map(ListenAddress.init(parsing:)) ?? .standard
            if !address.isLoopback && !allowRemote {
                throw FerryError(
                    .invalidConfiguration,
                    "The admin server would listen on \(address), which other machines can reach.",
                    changes: "Nothing was changed; the server did not start.",
                    advice:
                        "Listen on loopback (127.0.0.1, the default) behind a proxy, or pass --allow-remote with "
                        + "a token set beforehand (FERRY_SERVER_TOKEN or [server] token_file).")
            }
            let tokenFile = URL(
                fileURLWithPath: settings.serverTokenFile
                    ?? (common.configFile(environment: ProcessInfo.processInfo.environment)?
                        .deletingLastPathComponent().appendingPathComponent("ferry-server.token")
                        .path ?? "ferry-server.token"))
            // A server that others can reach never starts with a token nobody has seen yet.
            let (token, source) = try ServerToken.load(
                text: settings.serverToken, file: tokenFile, mayGenerate: address.isLoopback)
            var tls: ServerTLS? = nil
            switch (settings.serverTLSCertificate, settings.serverTLSKey) {
            case (let certificate?, let key?):
                tls = ServerTLS(
                    certificateFile: URL(fileURLWithPath: certificate),
                    keyFile: URL(fileURLWithPath: key))
            case (nil, nil):
                if !address.isLoopback {
                    console.problem(
                        "warning: without [server] tls_certificate and tls_key the token and backups cross the "
                            + "network in clear text; serve HTTPS or put a TLS proxy in front.")
                }
            default:
                throw FerryError(
                    .invalidConfiguration,
                    "Only one of [server] tls_certificate and tls_key is set; HTTPS needs both.",
                    changes: "Nothing was changed; the server did not start.",
                    advice:
                        "Set both (FERRY_SERVER_TLS_CERTIFICATE, FERRY_SERVER_TLS_KEY), or neither for HTTP."
                )
            }
            let scheme = tls == nil ? "http" : "https"
            let ferry = Ferry(try common.configuration(settings, console: console))
            let admin = FerryAdmin(
                ferry: ferry, token: token, wording: .tool,
                transactionMode: settings.upgradeTransactionMode())
            do {
                try await AdminServer.run(admin, at: address, tls: tls, logger: console.logger) {
                    bound in
                    var shown: String? = nil
                    if case .generated(_, let token) = source { shown = token }
                    let file: String? = source == .environment ? nil : tokenFile.path
                    if console.isJSON {
                        return console.json(
                            Started(
                                listen: bound.description, url: "\(scheme)://\(bound)/",
                                tokenFile: file, token: shown))
                    }
                    if let shown {
                        console.line(
                            "A new token was written to \(tokenFile.path) (0600); it is shown only this once:"
                        )
                        console.line("  \(shown)")
                    }
                    console.line("Ferry admin server for \(ferry.configuration.engine.displayName)")
                    console.line("Listening on \(scheme)://\(bound)/ (page /, health /health)")
                }
            } catch let error as FerryError {
                throw error
            } catch {
                throw FerryError(
                    .invalidConfiguration,
                    "The admin server cannot listen on \(address): \(error).",
                    changes: "Nothing was changed; the server did not start.",
                    advice: "Choose another port with --listen, or stop what listens there.")
            }
        }
    }
}
