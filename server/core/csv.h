/* SPDX-License-Identifier: MIT
 * csv.h: the CSV bodies of nRF Cloud's onboarding endpoints (docs/protocol-rest.md#onboarding): rows of
 * comma-separated fields, a field optionally in double quotes (then it may hold commas, line
 * breaks and "" for a quote), no header, no blank lines, at most NCM_CSV_MAX_ROWS rows; CRLF or
 * LF line ends. And the row checks of OnboardDevices, RegisterCertificates and
 * RegisterPublicKeys, each failure a message per 0-based row. Pure; any thread.
 */
#ifndef NCM_CSV_H
#define NCM_CSV_H

#include <stddef.h>

#include "err.h"

#define NCM_CSV_MAX_ROWS 1000
#define NCM_CSV_MAX_FIELDS 8

struct ncm_csv_row {
	size_t n_fields;
	char *fields[NCM_CSV_MAX_FIELDS]; /* malloc'd, unquoted */
};

struct ncm_csv {
	struct ncm_csv_row *rows;
	size_t n_rows;
};

/* Splits text into rows. NCM_ERR_INVAL with "row N: ..." for an unterminated quote, a quote in
 * the middle of an unquoted field, text after a closing quote, a blank line, more than
 * NCM_CSV_MAX_FIELDS fields; NCM_ERR_TOO_BIG for more than NCM_CSV_MAX_ROWS rows; "empty body"
 * for no rows. A final line break is optional. *out is released with ncm_csv_release. */
int ncm_csv_parse(const char *text, size_t len, struct ncm_csv *out, struct ncm_err_info *err);
void ncm_csv_release(struct ncm_csv *csv);

/* One onboarding row, checked. Strings are borrowed from the ncm_csv it came from. */
struct ncm_onboard_row {
	const char *device_id;
	const char *sub_type;    /* NULL when empty */
	const char *tags[32];    /* pipe-separated tags */
	size_t n_tags;
	const char *fw_types[8]; /* pipe-separated firmware types */
	size_t n_fw_types;
	const char *pem;         /* "-----BEGIN CERTIFICATE-----" or "-----BEGIN PUBLIC KEY-----" */
	int is_public_key;       /* 1 when pem is a PUBLIC KEY */
};

enum ncm_onboard_kind {
	NCM_ONBOARD_DEVICES,      /* deviceId,[subType],[tags],[fwTypes],"<PEM>" (5 fields) */
	NCM_ONBOARD_CERTIFICATES, /* deviceId,"<certificate PEM>" (2 fields) */
	NCM_ONBOARD_PUBLIC_KEYS,  /* deviceId,"<public key PEM>" (2 fields) */
};

/* Checks row (the index-th, 0-based, for messages) as kind: field count; deviceId by
 * /^[a-z0-9:_-]{1,128}$/i; subType by /^[a-zA-Z0-9_.,@\/:#-]{0,799}$/; each tag by
 * /^[a-zA-Z0-9_.@:#-]+$/ (at most 32); each fwType one of APP, MODEM, BOOT, SOFTDEVICE,
 * BOOTLOADER, MDM_FULL (at most 8; none given: all six, as APIHELP defaults); the PEM kind
 * (certificate for CERTIFICATES, public key for PUBLIC_KEYS, either for DEVICES). Fills out;
 * NCM_ERR_INVAL with a message such as "[3]: invalid deviceId 'a b'" (the "[i]: " prefix is the
 * error-summary form UTILS parses, docs/protocol-rest.md#onboarding). */
int ncm_csv_onboard_row(const struct ncm_csv_row *row, size_t index, enum ncm_onboard_kind kind,
			struct ncm_onboard_row *out, struct ncm_err_info *err);

/* A ULID (26 characters of Crockford base32, /^[0-9A-HJKMNP-TV-Z]{26}$/) from a millisecond
 * time and 10 random bytes, for bulk-ops request IDs (docs/protocol-rest.md#onboarding). out has 27 bytes. */
void ncm_ulid(unsigned long long ms, const unsigned char random[10], char out[27]);

#endif
