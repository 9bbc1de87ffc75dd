/* SPDX-License-Identifier: MIT
 * emu.h: the nRF9160 modem the emulator pretends to be: one AT command line in, the modem's
 * whole answer out. State (identity and credentials) lives in a JSON file that is rewritten after
 * every change; the functional mode (+CFUN) and +CMEE are not kept, as on a real modem, which
 * starts in CFUN=0 after a reset. Answers follow docs/lab.md#the-at-dialogue.
 */
#ifndef NCM_MODEM_EMU_H
#define NCM_MODEM_EMU_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#define EMU_MAX_INJECT 16

/* A canned answer for every command that starts with prefix: answer is sent instead of the
 * modem's own ("silent": nothing; "garbage": bytes no modem sends). */
struct emu_inject {
	char *prefix;
	char *answer;
};

struct emu {
	char store_path[PATH_MAX];
	json_t *store;      /* {"imei","uuid","firmware","credentials":[{"tag","type","content"}]} */
	int cfun;
	int cmee;
	size_t capacity;    /* bytes of credential content the modem holds (515 above it) */
	struct emu_inject inject[EMU_MAX_INJECT];
	size_t n_inject;
	char err[256];      /* why emu_open failed */
};

/* Loads the store at path, creating it with imei/uuid/firmware (NULL: defaults) when it does not
 * exist. Returns 0, or -1 with e->err set. */
int emu_open(struct emu *e, const char *path, const char *imei, const char *uuid,
	     const char *firmware);
void emu_close(struct emu *e);

/* Adds "PREFIX|ANSWER" (ANSWER: text where \n stands for CR LF, or silent, or garbage). */
int emu_add_inject(struct emu *e, const char *spec);

/* The answer to one command line (without its line end): a malloc'd buffer in *out of *len
 * bytes; *out NULL means stay silent. Returns 0, -1 when out of memory. */
int emu_handle(struct emu *e, const char *cmd, char **out, size_t *len);

#endif
