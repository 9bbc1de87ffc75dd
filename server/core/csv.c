/* SPDX-License-Identifier: MIT
 * csv.c: the CSV bodies of nRF Cloud's onboarding endpoints, their row checks, and ULIDs for
 * bulk-ops request IDs (docs/protocol-rest.md#onboarding; see csv.h). The parser makes one pass: each field is
 * measured, then copied once, so 1000 rows of PEMs cost time linear in the body.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "devid.h"

/* Longest excerpt of an offending value quoted in a row message. */
#define QUOTE_MAX 64

/* Capacities of ncm_onboard_row's arrays (tags: 32, fw_types: 8). */
#define OUT_CAP(member) \
	(sizeof(((struct ncm_onboard_row *)0)->member) / \
	 sizeof(((struct ncm_onboard_row *)0)->member[0]))

/* subType is /^[a-zA-Z0-9_.,@\/:#-]{0,799}$/ (docs/protocol-rest.md#onboarding). */
#define SUB_TYPE_MAX 799

static const char *const fw_type_names[] = {
	"APP", "MODEM", "BOOT", "SOFTDEVICE", "BOOTLOADER", "MDM_FULL",
};

#define N_FW_TYPE_NAMES (sizeof(fw_type_names) / sizeof(fw_type_names[0]))

static const char pem_cert_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_pubkey_begin[] = "-----BEGIN PUBLIC KEY-----";

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	size_t row; /* 0-based, for messages */
	struct ncm_err_info *err;
};

void ncm_csv_release(struct ncm_csv *csv)
{
	size_t i, j;

	if (!csv)
		return;
	for (i = 0; i < csv->n_rows; i++)
		for (j = 0; j < csv->rows[i].n_fields; j++)
			free(csv->rows[i].fields[j]);
	free(csv->rows);
	csv->rows = NULL;
	csv->n_rows = 0;
}

static int err_row(struct parser *p, const char *what)
{
	return ncm_err_set(p->err, NCM_ERR_INVAL, "row %zu: %s", p->row, what);
}

static int err_nomem(struct parser *p)
{
	return ncm_err_set(p->err, NCM_ERR_NOMEM, "row %zu: out of memory", p->row);
}

/* A field in double quotes: "" stands for one quote, and commas and line breaks are data (so a
 * PEM keeps its line breaks, docs/protocol-rest.md#onboarding). A CR inside the quotes is kept as it is. */
static int parse_quoted(struct parser *p, char **out)
{
	size_t start = p->pos + 1, i = start, n_esc = 0, j, n = 0;
	char *buf = NULL;

	for (;;) {
		if (i >= p->len)
			return err_row(p, "unterminated quote");
		if (p->s[i] == '\0')
			return err_row(p, "NUL byte");
		if (p->s[i] == '"') {
			if (i + 1 < p->len && p->s[i + 1] == '"') {
				n_esc++;
				i += 2;
				continue;
			}
			break;
		}
		i++;
	}
	buf = malloc(i - start - n_esc + 1);
	if (!buf)
		return err_nomem(p);
	for (j = start; j < i; j++) {
		buf[n++] = p->s[j];
		if (p->s[j] == '"')
			j++;
	}
	buf[n] = '\0';
	p->pos = i + 1;
	*out = buf;
	return NCM_OK;
}

/* A field without quotes runs to the next comma or line end; RFC 4180 allows no quote in it. */
static int parse_plain(struct parser *p, char **out)
{
	size_t start = p->pos, i = start;
	char *buf = NULL;

	for (; i < p->len; i++) {
		char c = p->s[i];

		if (c == ',' || c == '\n' || c == '\r')
			break;
		if (c == '"')
			return err_row(p, "quote inside an unquoted field");
		if (c == '\0')
			return err_row(p, "NUL byte");
	}
	buf = malloc(i - start + 1);
	if (!buf)
		return err_nomem(p);
	memcpy(buf, p->s + start, i - start);
	buf[i - start] = '\0';
	p->pos = i;
	*out = buf;
	return NCM_OK;
}

/* Line ends are LF or CRLF; the CR of a CRLF is dropped. */
static int at_line_end(const struct parser *p)
{
	return p->s[p->pos] == '\n' ||
	       (p->s[p->pos] == '\r' && p->pos + 1 < p->len && p->s[p->pos + 1] == '\n');
}

static void skip_line_end(struct parser *p)
{
	p->pos += p->s[p->pos] == '\r' ? 2 : 1;
}

/* Fills row from p->pos up to and including its line end (or the end of the text). */
static int parse_row(struct parser *p, struct ncm_csv_row *row)
{
	int quoted, rc;

	for (;;) {
		if (row->n_fields == NCM_CSV_MAX_FIELDS)
			return ncm_err_set(p->err, NCM_ERR_INVAL, "row %zu: more than %d fields",
					   p->row, NCM_CSV_MAX_FIELDS);
		quoted = p->pos < p->len && p->s[p->pos] == '"';
		rc = quoted ? parse_quoted(p, &row->fields[row->n_fields]) :
			      parse_plain(p, &row->fields[row->n_fields]);
		if (rc)
			return rc;
		row->n_fields++;
		if (p->pos >= p->len)
			return NCM_OK;
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (at_line_end(p)) {
			skip_line_end(p);
			return NCM_OK;
		}
		if (p->s[p->pos] == '\r')
			return err_row(p, "carriage return without a line feed");
		if (p->s[p->pos] == '\0')
			return err_row(p, "NUL byte");
		/* An unquoted field stops only at the cases above, so this is `"a"b`. */
		return err_row(p, "text after closing quote");
	}
}

int ncm_csv_parse(const char *text, size_t len, struct ncm_csv *out, struct ncm_err_info *err)
{
	struct parser p = { .s = text, .len = len, .err = err };
	struct ncm_csv_row *grown = NULL;
	size_t cap = 0;
	int rc;

	if (!out)
		return ncm_err_set(err, NCM_ERR_INVAL, "no output");
	out->rows = NULL;
	out->n_rows = 0;
	if (!text || !len)
		return ncm_err_set(err, NCM_ERR_INVAL, "empty body");
	while (p.pos < len) {
		p.row = out->n_rows;
		/* docs/protocol-rest.md#onboarding: at most 1000 rows, no blank lines. */
		if (out->n_rows == NCM_CSV_MAX_ROWS) {
			rc = ncm_err_set(err, NCM_ERR_TOO_BIG, "more than %d rows",
					 NCM_CSV_MAX_ROWS);
			goto out;
		}
		if (at_line_end(&p)) {
			rc = err_row(&p, "blank line");
			goto out;
		}
		if (out->n_rows == cap) {
			cap = cap ? cap * 2 : 16;
			if (cap > NCM_CSV_MAX_ROWS)
				cap = NCM_CSV_MAX_ROWS;
			grown = realloc(out->rows, cap * sizeof(*grown));
			if (!grown) {
				rc = err_nomem(&p);
				goto out;
			}
			out->rows = grown;
		}
		memset(&out->rows[out->n_rows], 0, sizeof(out->rows[0]));
		/* Counted before parsing, so a half-filled row is released too. */
		out->n_rows++;
		rc = parse_row(&p, &out->rows[out->n_rows - 1]);
		if (rc)
			goto out;
	}
	rc = NCM_OK;
out:
	if (rc)
		ncm_csv_release(out);
	return rc;
}

/* Copies at most QUOTE_MAX bytes of s[0..n) for a message, any byte outside printable ASCII as
 * '?': the message lands in a JSON error summary (docs/protocol-rest.md#onboarding), where a line break from a
 * quoted field or a UTF-8 sequence cut in half would garble it. */
static const char *excerpt(const char *s, size_t n, char buf[QUOTE_MAX + 1])
{
	size_t i;

	if (n > QUOTE_MAX)
		n = QUOTE_MAX;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[n] = '\0';
	return buf;
}

static int alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int sub_type_char(char c)
{
	return alnum(c) || (c && strchr("_.,@/:#-", c));
}

static int tag_char(char c)
{
	return alnum(c) || (c && strchr("_.@:#-", c));
}

static int sub_type_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i == SUB_TYPE_MAX || !sub_type_char(s[i]))
			return 0;
	return 1;
}

/* Length of the pipe-separated item at s (up to the next '|' or the end). */
static size_t item_len(const char *s)
{
	return strcspn(s, "|");
}

/* Counts and checks the tags without touching the field; empty means none. */
static int check_tags(const char *f, size_t index, size_t *n_tags, struct ncm_err_info *err)
{
	char q[QUOTE_MAX + 1];
	size_t n = 0, len, i;

	*n_tags = 0;
	if (!*f)
		return NCM_OK;
	for (;;) {
		len = item_len(f);
		if (n == OUT_CAP(tags))
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: more than %zu tags", index,
					   OUT_CAP(tags));
		for (i = 0; i < len && tag_char(f[i]); i++)
			;
		if (!len || i < len)
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: invalid tag '%s'", index,
					   excerpt(f, len, q));
		n++;
		if (!f[len])
			break;
		f += len + 1;
	}
	*n_tags = n;
	return NCM_OK;
}

/* fwTypes are exact, upper-case names; none given means all six, as APIHELP does (
 * docs/protocol-rest.md#onboarding). out->fw_types always point at the static names, so the field is left as it is. */
static int check_fw_types(const char *f, size_t index, struct ncm_onboard_row *out,
			  struct ncm_err_info *err)
{
	char q[QUOTE_MAX + 1];
	size_t len, k;

	out->n_fw_types = 0;
	if (!*f) {
		for (k = 0; k < N_FW_TYPE_NAMES; k++)
			out->fw_types[out->n_fw_types++] = fw_type_names[k];
		return NCM_OK;
	}
	for (;;) {
		len = item_len(f);
		if (out->n_fw_types == OUT_CAP(fw_types))
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: more than %zu firmware types",
					   index, OUT_CAP(fw_types));
		for (k = 0; k < N_FW_TYPE_NAMES; k++)
			if (strlen(fw_type_names[k]) == len && !memcmp(fw_type_names[k], f, len))
				break;
		if (k == N_FW_TYPE_NAMES)
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: unknown firmware type '%s'",
					   index, excerpt(f, len, q));
		out->fw_types[out->n_fw_types++] = fw_type_names[k];
		if (!f[len])
			break;
		f += len + 1;
	}
	return NCM_OK;
}

/* The PEM's kind by its BEGIN line only; the crypto check is someone else's. */
static int check_pem(const char *f, size_t index, enum ncm_onboard_kind kind,
		     struct ncm_onboard_row *out, struct ncm_err_info *err)
{
	int cert, pubkey;

	f += strspn(f, " \t\r\n");
	cert = !strncmp(f, pem_cert_begin, sizeof(pem_cert_begin) - 1);
	pubkey = !strncmp(f, pem_pubkey_begin, sizeof(pem_pubkey_begin) - 1);
	switch (kind) {
	case NCM_ONBOARD_CERTIFICATES:
		if (!cert)
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: not a certificate PEM",
					   index);
		break;
	case NCM_ONBOARD_PUBLIC_KEYS:
		if (!pubkey)
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: not a public key PEM",
					   index);
		break;
	default:
		if (!cert && !pubkey)
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "[%zu]: not a certificate or public key PEM", index);
		break;
	}
	out->pem = f;
	out->is_public_key = pubkey;
	return NCM_OK;
}

/* Points out->tags at the tags, ending each in place ('|' becomes NUL): the strings are
 * borrowed from the row (csv.h), so this runs only once every check has passed, and a row that
 * failed is left whole. */
static void split_tags(char *f, struct ncm_onboard_row *out, size_t n_tags)
{
	size_t len, i;

	for (i = 0; i < n_tags; i++) {
		len = item_len(f);
		out->tags[i] = f;
		if (i + 1 < n_tags) {
			f[len] = '\0';
			f += len + 1;
		}
	}
	out->n_tags = n_tags;
}

int ncm_csv_onboard_row(const struct ncm_csv_row *row, size_t index, enum ncm_onboard_kind kind,
			struct ncm_onboard_row *out, struct ncm_err_info *err)
{
	char q[QUOTE_MAX + 1];
	size_t want, n_tags = 0, i;
	int rc;

	if (!row || !out)
		return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: no row", index);
	memset(out, 0, sizeof(*out));
	switch (kind) {
	case NCM_ONBOARD_DEVICES:
		want = 5;
		break;
	case NCM_ONBOARD_CERTIFICATES:
	case NCM_ONBOARD_PUBLIC_KEYS:
		want = 2;
		break;
	default:
		return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: unknown row kind %d", index,
				   (int)kind);
	}
	if (row->n_fields != want)
		return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: expected %zu fields, got %zu", index,
				   want, row->n_fields);
	for (i = 0; i < want; i++)
		if (!row->fields[i])
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: field %zu is missing", index,
					   i);
	if (ncm_devid_check(row->fields[0], NULL) != NCM_OK)
		return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: invalid deviceId '%s'", index,
				   excerpt(row->fields[0], strlen(row->fields[0]), q));
	out->device_id = row->fields[0];
	if (kind == NCM_ONBOARD_DEVICES) {
		if (!sub_type_ok(row->fields[1]))
			return ncm_err_set(err, NCM_ERR_INVAL, "[%zu]: invalid subType", index);
		out->sub_type = row->fields[1][0] ? row->fields[1] : NULL;
		rc = check_tags(row->fields[2], index, &n_tags, err);
		if (rc)
			return rc;
		rc = check_fw_types(row->fields[3], index, out, err);
		if (rc)
			return rc;
	}
	rc = check_pem(row->fields[want - 1], index, kind, out, err);
	if (rc)
		return rc;
	if (n_tags)
		split_tags(row->fields[2], out, n_tags);
	return NCM_OK;
}

/* Crockford's base32, as ULIDs use it: no I, L, O or U. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void ncm_ulid(unsigned long long ms, const unsigned char random[10], char out[27])
{
	unsigned long long v;
	int i, k;

	/* 48 bits of time in 10 characters (50 bits, the top two zero), big-endian; a time past
	 * the year 10889 wraps. */
	ms &= 0xffffffffffffULL;
	for (i = 0; i < 10; i++)
		out[i] = crockford[(ms >> (45 - 5 * i)) & 31];
	/* 80 bits of randomness: two 40-bit halves of 8 characters each. */
	for (k = 0; k < 2; k++) {
		v = 0;
		for (i = 0; i < 5; i++)
			v = v << 8 | random[5 * k + i];
		for (i = 0; i < 8; i++)
			out[10 + 8 * k + i] = crockford[(v >> (35 - 5 * i)) & 31];
	}
	out[26] = '\0';
}
