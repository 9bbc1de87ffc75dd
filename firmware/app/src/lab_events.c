/* SPDX-License-Identifier: MIT
 * lab_events.c: prints the lab shell's "@ev" lines (docs/lab-shell.md#events) on the shell's
 * UART, from any thread: the cloud library's callbacks run in its own threads, so the line is
 * formatted under a mutex and written with shell_fprintf(), which serialises against the shell.
 */
#include <zephyr/kernel.h>
#include <zephyr/shell/shell.h>
#include <zephyr/shell/shell_uart.h>

#include "lab.h"
#include "lab_shell.h"

K_MUTEX_DEFINE(lab_out_lock);
static char line[1024];

void lab_print(const char *text)
{
	const struct shell *sh = shell_backend_uart_get_ptr();

	shell_fprintf(sh, SHELL_NORMAL, "%s", text);
}

void lab_event(const char *ev, const char *fields)
{
	k_mutex_lock(&lab_out_lock, K_FOREVER);
	if (lab_fmt_event(line, sizeof(line), ev, lab_cloud_id(), fields) > 0) {
		lab_print(line);
	}
	k_mutex_unlock(&lab_out_lock);
}

void lab_event_ready(void)
{
	char fields[200];
	size_t pos = 0;

	if (lab_json_member(fields, sizeof(fields), &pos, "ncs", lab_ncs_version()) ||
	    lab_json_member(fields, sizeof(fields), &pos, "app", lab_app_version()) ||
	    lab_json_member(fields, sizeof(fields), &pos, "modem", lab_modem_version())) {
		return;
	}
	lab_event("ready", fields);
}
