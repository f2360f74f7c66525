/* SPDX-License-Identifier: MIT
 * fuzz.h: what every libFuzzer target here shares: the entry point's prototype and CHECK(),
 * which aborts (a crash libFuzzer records) when an invariant of the code under test breaks. */
#ifndef FUZZ_H
#define FUZZ_H
#include "cm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "invariant broken: %s (line %d)\n", #cond, __LINE__);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
