import Ferry

extension FerryError {
    /// The tool's exit code for this error: 1 failed, 2 usage, 3 refused.
    var exitCode: Int32 {
        switch category {
        case .failed: return 1
        case .usage: return 2
        case .refused: return 3
        }
    }
}
