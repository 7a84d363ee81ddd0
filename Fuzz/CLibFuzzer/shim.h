// libFuzzer's driver entry point (compiler-rt FuzzerInterface.h / FuzzerDriver.cpp), linked
// in by -sanitize=fuzzer. The fuzz targets call it from their @main, because SwiftPM links
// every executable with `main` bound to the module's own entry point, not libFuzzer's main.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
