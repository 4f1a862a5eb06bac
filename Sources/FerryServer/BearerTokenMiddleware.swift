import Ferry
import Hummingbird

/// Lets through only requests with `Authorization: Bearer TOKEN`; others get
/// 401 with `WWW-Authenticate: Bearer` and the usual error document.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let admin: FerryAdmin

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), admin.token.matches(String(header.dropFirst(prefix.count)))
        else {
            var response = AdminHandlers(admin: admin).failure(
                FerryError(
                    .unauthorized,
                    header.isEmpty
                        ? "This route needs the admin server's token."
                        : "The token is not the admin server's.",
                    changes: "Nothing was changed.",
                    advice:
                        "Send 'Authorization: Bearer TOKEN' with the token that 'ferry serve' printed when it made it "
                        + "(in the file [server] token_file names) or the one FERRY_SERVER_TOKEN sets."
                ),
                command: "", status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}
