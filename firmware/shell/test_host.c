/* SPDX-License-Identifier: MIT
 * test_host.c: runs the portable lab-shell tests on the build host (meson test
 * firmware/lab-shell). */
#include <stdio.h>

#include "test_lab_shell.h"

void test_out(const char *s)
{
	fputs(s, stdout);
}

int main(void)
{
	return lab_shell_tests() ? 1 : 0;
}
