// libFuzzer's entry point for a program with its own `main` (SwiftPM gives
// every executable one): runs the fuzzer with the command line's options on
// the function that tests one input.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
