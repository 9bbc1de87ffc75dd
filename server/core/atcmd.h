/* SPDX-License-Identifier: MIT
 * atcmd.h: the nRF91 modem's AT dialogue as data, for `nrfcloud-mock provision` and the modem
 * emulator: recognising where an answer ends (OK / ERROR / +CME ERROR: n) in the bytes read so
 * far, telling garbage from text, parsing the answers provisioning relies on (+CFUN, +CGSN,
 * %XMODEMUUID, %CMNG list/read), the +CME codes' meaning, the credential text the modem stores
 * (CRLF line ends) with its SHA-256, and the AT script of a provisioning run. No I/O, no clock.
 * The facts behind each rule are in docs/lab.md#the-at-dialogue.
 */
#ifndef NCM_ATCMD_H
#define NCM_ATCMD_H

#include <stddef.h>

#include "err.h"

/* The final result of a command, as far as the bytes read so far tell. */
enum ncm_at_final {
	NCM_AT_PENDING = 0, /* no final line yet */
	NCM_AT_OK,
	NCM_AT_ERROR,       /* plain "ERROR" (AT+CMEE=0, or a syntax error) */
	NCM_AT_CME,         /* "+CME ERROR: <n>" */
	NCM_AT_GARBAGE,     /* bytes no modem sends (control characters, NUL, non-ASCII) */
};

#define NCM_AT_MAX_LINES 64

/* One answer split into lines (CR LF, or LF alone, outside double quotes; a quoted string may
 * span lines, as %CMNG=2 returns a PEM). Empty lines are dropped. The final line is not in
 * line[]. Lines point into the caller's buffer and are not NUL-terminated. */
struct ncm_at_reply {
	enum ncm_at_final final;
	int cme;                            /* the code of NCM_AT_CME */
	size_t n;
	const char *line[NCM_AT_MAX_LINES];
	size_t len[NCM_AT_MAX_LINES];
	size_t garbage_at;                  /* offset of the first bad byte (NCM_AT_GARBAGE) */
};

/* Scans buf[0..len) (everything received since the command was sent). Returns the final state;
 * r gets the lines before the final one. Unsolicited lines (+CEREG: ...) and log lines are kept
 * as lines; ANSI colour sequences (ESC [ ... ) in them are not garbage. */
enum ncm_at_final ncm_at_reply_scan(const char *buf, size_t len, struct ncm_at_reply *r);

/* The first line of r starting with prefix (e.g. "%CMNG:"), as a malloc'd NUL-terminated
 * string with the prefix and the following blanks removed; NULL when there is none (or no
 * memory). prefix "" gives the first line that starts with neither '+' nor '%' and holds no ESC
 * (the plain answer of AT+CGSN or AT+CGMR, not a coloured log line). */
char *ncm_at_reply_line(const struct ncm_at_reply *r, const char *prefix);

/* What a +CME ERROR code means for %CMNG / %KEYGEN / +CFUN, in a few words
 * ("not found", "not allowed in the current functional mode (LTE is on)", ...). */
const char *ncm_at_cme_text(int code);

/* "+CFUN: <n>" body (after the prefix) -> mode. NCM_ERR_INVAL when it is not a number 0-255. */
int ncm_at_parse_cfun(const char *body, int *mode, struct ncm_err_info *err);

/* The IMEI in a +CGSN answer (15 digits, optionally quoted and prefixed "+CGSN:"). out has
 * room for 16 bytes. */
int ncm_at_parse_imei(const char *body, char out[16], struct ncm_err_info *err);

/* The IMEI among the lines of an AT+CGSN answer: the first line that is one (log lines that
 * share the UART are passed over). NCM_ERR_NOT_FOUND when none is. */
int ncm_at_reply_imei(const struct ncm_at_reply *r, char out[16]);

/* The UUID of a %XMODEMUUID answer body (36 characters 8-4-4-4-12 hex), lower-cased. */
int ncm_at_parse_uuid(const char *body, char out[37], struct ncm_err_info *err);

/* One "%CMNG:" answer body: "<tag>,<type>[,\"<sha>\"[,\"<content>\"]]". sha gets the 64 hex
 * digits as sent ("" when absent); *content / *content_len (may be NULL) point into body ("" and
 * 0 when absent). */
struct ncm_at_cmng {
	unsigned long tag;
	int type;
	char sha[65];
	const char *content;
	size_t content_len;
};
int ncm_at_parse_cmng(const char *body, struct ncm_at_cmng *out, struct ncm_err_info *err);

/* A credential as the modem stores it and as %CMNG=0 sends it: every line end CR LF (as
 * nRF Cloud's own installer writes it), no trailing blank lines after the last PEM block's end
 * line. NCM_ERR_INVAL when text holds a double quote, a NUL or non-ASCII byte (the AT string
 * cannot carry them). *out is malloc'd. */
int ncm_at_credential_text(const char *text, size_t len, char **out, struct ncm_err_info *err);

/* SHA-256 of data as 64 upper-case hex digits, the form %CMNG=1 prints. */
void ncm_at_sha256_hex(const void *data, size_t len, char out[65]);

/* The AT command that writes content (already in credential form) into tag/type:
 * AT%CMNG=0,<tag>,<type>,"<content>". malloc'd. */
char *ncm_at_cmd_write(unsigned long tag, int type, const char *content);

/* What to put in a provisioning run's AT script (`provision --dry-run`). */
struct ncm_at_plan {
	unsigned long tag;
	const char *id;        /* the device ID, or NULL when it comes from the modem */
	const char *id_from;   /* "imei" or "uuid" when id is NULL */
	const char *ca_text;   /* the type-0 credential in credential form */
	const char *ca_label;  /* "the lab CA" / "the lab CA + Amazon Root CA 1" */
	const char *cert_text; /* the device certificate in credential form, or NULL (placeholder) */
};

/* The commands of a provisioning run, one per line, with '#' comment lines between the steps
 * (a terminal user skips those). malloc'd. */
char *ncm_at_script(const struct ncm_at_plan *p);

#endif
