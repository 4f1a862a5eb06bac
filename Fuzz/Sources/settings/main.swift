// libFuzzer links its own `main`, which needs LLVMFuzzerTestOneInput; SwiftPM links this one,
// which runs libFuzzer on the same test.
import FuzzSupport

runFuzzer { data, count in fuzz(data, count) }
