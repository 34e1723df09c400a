#ifndef TWEEN_FUZZ_DRIVER_H
#define TWEEN_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer on `test_one_input` with the command line's options (-runs, -max_total_time,
/// corpus folders …). SwiftPM gives each executable its own renamed entry point (TARGET_main), so
/// each target calls this from there instead of linking libFuzzer's own main().
int tween_fuzz_driver(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));
#endif
