/* SPDX-License-Identifier: MIT
 * serial.h: a serial port for AT commands (termios, raw, no new dependency).
 */
#ifndef NCM_CLI_SERIAL_H
#define NCM_CLI_SERIAL_H

#include <stddef.h>

#include "atcmd.h"
#include "err.h"

/* Opens path in raw mode at baud (a standard rate). */
int ncm_serial_open(const char *path, int baud, int *fd, struct ncm_err_info *err);

/* Sends cmd and CR LF and reads until the answer's final line or timeout_ms. On NCM_OK, r->final
 * is OK, ERROR or CME. NCM_ERR_IO with "no answer" / "no OK or ERROR" on a timeout,
 * NCM_ERR_INVAL "garbage" when bytes no modem sends arrived. *buf (always set, may be NULL on
 * NCM_ERR_NOMEM) holds the bytes received, *len of them; the caller frees it. */
int ncm_serial_at(int fd, const char *cmd, int timeout_ms, char **buf, size_t *len,
		  struct ncm_at_reply *r, struct ncm_err_info *err);

#endif
