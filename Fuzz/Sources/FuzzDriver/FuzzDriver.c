// Declarations only: LLVMFuzzerRunDriver is in libFuzzer, linked by -sanitize=fuzzer.
#include "FuzzDriver.h"
