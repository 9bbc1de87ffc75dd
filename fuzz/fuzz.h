/* SPDX-License-Identifier: MIT
 * fuzz.h: what every fuzz target and the smoke driver share: libFuzzer's entry point and the
 * check that turns a broken invariant into an abort, which libFuzzer and smoke.c both report
 * as a crash with the input that caused it. Depends on the C library only.
 */
#ifndef NCM_FUZZ_H
#define NCM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs one input (borrowed, size bytes, not NUL-terminated). Returns 0; a failed invariant
 * aborts. Called from one thread. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif
