/* SPDX-License-Identifier: MIT
 * test_lab_shell.h: the portable unit tests' entry point and the one thing a platform gives
 * them (host: test_host.c; Cortex-M33 under QEMU: firmware/qemu/semihost.c). */
#ifndef TEST_LAB_SHELL_H
#define TEST_LAB_SHELL_H

void test_out(const char *s);
/* Runs every test; returns the number of failed checks. */
int lab_shell_tests(void);

#endif
