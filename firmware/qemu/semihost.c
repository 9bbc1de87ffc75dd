/* SPDX-License-Identifier: MIT
 * semihost.c: a bare-metal Cortex-M33 harness for the portable unit tests, run under
 * `qemu-system-arm -M mps2-an505 -semihosting` (firmware/qemu/run.sh). The vector table, a
 * reset handler that zeroes .bss, and Arm semihosting calls (SYS_WRITE0 = 0x04,
 * SYS_EXIT = 0x18; Arm "Semihosting for AArch32 and AArch64", BKPT 0xAB on M-profile).
 * QEMU ends with status 0 for ADP_Stopped_ApplicationExit and 1 for any other reason, so a
 * failed check fails the run even if nobody reads the output.
 */
#include <stdint.h>

#include "test_lab_shell.h"

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

extern uint32_t __bss_start__, __bss_end__, __stack_top__;

static int semihost(int op, const void *arg)
{
	register int r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

void test_out(const char *s)
{
	semihost(SYS_WRITE0, s);
}

static void __attribute__((noreturn)) finish(int failed)
{
	for (;;)
		semihost(SYS_EXIT, (const void *)(uintptr_t)(failed ? ADP_STOPPED_RUNTIME_ERROR
								    : ADP_STOPPED_APPLICATION_EXIT));
}

void reset_handler(void);
void fault_handler(void);

void reset_handler(void)
{
	uint32_t *p;
	int failed;

	for (p = &__bss_start__; p < &__bss_end__; p++)
		*p = 0;
	test_out("lab-shell tests on a Cortex-M33 (mps2-an505)\n");
	failed = lab_shell_tests();
	test_out(failed ? "QEMU-RESULT FAIL\n" : "QEMU-RESULT PASS\n");
	finish(failed);
}

/* Any fault (a bad pointer in the code under test) ends the run as a failure. */
void fault_handler(void)
{
	test_out("QEMU-RESULT FAULT\n");
	finish(1);
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
	&__stack_top__, (const void *)reset_handler, (const void *)fault_handler,
	(const void *)fault_handler, (const void *)fault_handler, (const void *)fault_handler,
	(const void *)fault_handler, (const void *)fault_handler,
};
