/* SPDX-License-Identifier: MIT
 * lab_shell.h: the portable half of the lab shell (docs/lab-shell.md): parsing one command line
 * and formatting the "@ok", "@err" and "@ev" answer lines. Plain C11 with no allocation and no
 * I/O, so the same code runs in `nrfcloud-mock sim --pty` (device/sim_shell.c), in the lab
 * firmware (firmware/app/src/lab_shell_cmds.c) and in the unit tests on the host and on a
 * Cortex-M33 under QEMU (docs/firmware.md#portable-code).
 */
#ifndef LAB_SHELL_H
#define LAB_SHELL_H

#include <stddef.h>

enum lab_cmd_kind {
	LAB_CMD_NONE = 0,  /* an empty or blank line: no answer */
	LAB_CMD_HELP,
	LAB_CMD_STATUS,
	LAB_CMD_VERSION,
	LAB_CMD_SEND,
	LAB_CMD_LOCATION,
	LAB_CMD_AGNSS,
	LAB_CMD_PGPS,
	LAB_CMD_REBOOT,
	LAB_CMD_REPORT,    /* report KEY VALUE: reported config.KEY = VALUE (JSON, else a string) */
	LAB_CMD_FOTA,      /* fota: ask the cloud for a pending FOTA job now */
	LAB_CMD_RECONNECT, /* reconnect: drop the cloud connection and connect again */
	LAB_CMD_UNKNOWN,   /* answer lab_fmt_err(..., "unknown command", name) */
	LAB_CMD_USAGE,     /* a known command with bad arguments: answer lab_fmt_usage() */
};

#define LAB_NAME_MAX 32
#define LAB_APPID_MAX 64
#define LAB_DATA_MAX 512

struct lab_cmd {
	enum lab_cmd_kind kind;
	char name[LAB_NAME_MAX];     /* the first word as typed (cut to LAB_NAME_MAX - 1); "location"
				      * for `location agnss` and `location pgps` too */
	char app_id[LAB_APPID_MAX];  /* send: APPID; report: KEY */
	char data[LAB_DATA_MAX];     /* send, report: the rest of the line, inner spaces kept */
};

/* Parses one line (a trailing "\r\n" or "\n" is ignored; words are separated by blanks). */
void lab_cmd_parse(const char *line, struct lab_cmd *out);

/* The command's name as the contract spells it ("send" for LAB_CMD_SEND), NULL for
 * LAB_CMD_NONE/UNKNOWN/USAGE. */
const char *lab_cmd_name(enum lab_cmd_kind kind);

/* The help answer's command list, NULL-terminated, in the contract's order. */
extern const char *const lab_cmd_help[];

/* Writes s as a JSON string (quotes included) at buf+*pos; returns 0, or -1 when it does not fit
 * (buf then holds a truncated but terminated text). Escapes ", \ and control characters;
 * bytes >= 0x80 are copied (the caller passes UTF-8). */
int lab_json_str(char *buf, size_t size, size_t *pos, const char *s);

/* Appends `,"KEY":"VALUE"` (both escaped) at buf+*pos, for the fields of lab_fmt_event();
 * returns 0 or -1 when it does not fit. */
int lab_json_member(char *buf, size_t size, size_t *pos, const char *key, const char *val);

/* "@ok {"command":NAME}" */
int lab_fmt_ok_command(char *buf, size_t size, const char *name);
/* "@ok {"commands":[...]}" */
int lab_fmt_help(char *buf, size_t size);
/* "@err {"error":ERROR,"command":NAME}" (no "command" member when name is NULL) */
int lab_fmt_err(char *buf, size_t size, const char *error, const char *name);
/* "@err {"error":"usage: send APPID DATA"}" (or "usage: report KEY VALUE", "usage: location
 * [cell|agnss|pgps]") for a LAB_CMD_USAGE parse of name */
int lab_fmt_usage(char *buf, size_t size, const char *name);

struct lab_status {
	const char *id, *state, *ncs, *app, *modem;
	int alerts_en;  /* 0/1 */
	int log_lvl;
};
/* "@ok {"id","state","ncs","app","modem","alertsEn","logLvl"}" */
int lab_fmt_status(char *buf, size_t size, const struct lab_status *st);
/* "@ok {"ncs","app","modem"}" */
int lab_fmt_version(char *buf, size_t size, const char *ncs, const char *app, const char *modem);

/* "@ev {"ev":EV,"id":ID<fields>}" where fields is NULL/"" or a run of JSON members starting
 * with a comma (",\"lat\":63.42"), put in as they are. */
int lab_fmt_event(char *buf, size_t size, const char *ev, const char *id, const char *fields);

/* The line lab_fmt_* writes ends in "\r\n" (the contract's line end); each returns the length
 * written, or -1 when the line does not fit in size (nothing usable in buf then). */

#endif
