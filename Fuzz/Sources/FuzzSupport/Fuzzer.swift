import Foundation

@_implementationOnly import FuzzDriver

/// Runs libFuzzer on a target's test of one input, with the options and
/// corpus folders of the command line (`-runs=N FOLDER…`), and exits with
/// its status.
///
/// libFuzzer usually brings `main`; SwiftPM gives each executable its own,
/// which calls this instead.
///
/// - Parameter test: The target's test of one input; it returns 0.
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
