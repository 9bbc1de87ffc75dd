/* SPDX-License-Identifier: MIT
 * lab_shell.c: lab-shell command parsing and answer/event line formatting
 * (docs/lab-shell.md). No allocation, no stdio, no locale: string.h only, so it builds for the
 * host, newlib on a Cortex-M33, and Zephyr's minimal libc alike.
 */
#include "lab_shell.h"

#include <string.h>

const char *const lab_cmd_help[] = { "help", "status", "version", "send APPID DATA",
				     "location [cell|agnss|pgps]", "agnss", "pgps", "reboot",
				     "report KEY VALUE", "fota", "reconnect", NULL };

static const struct {
	const char *name;
	enum lab_cmd_kind kind;
} cmds[] = {
	{ "help", LAB_CMD_HELP },	  { "status", LAB_CMD_STATUS },
	{ "version", LAB_CMD_VERSION },	  { "send", LAB_CMD_SEND },
	{ "location", LAB_CMD_LOCATION }, { "agnss", LAB_CMD_AGNSS },
	{ "pgps", LAB_CMD_PGPS },	  { "reboot", LAB_CMD_REBOOT },
	{ "report", LAB_CMD_REPORT },	  { "fota", LAB_CMD_FOTA },
	{ "reconnect", LAB_CMD_RECONNECT },
};

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies the word at *p (up to a blank or the end) into dst, cut to size - 1; returns its
 * full length and moves *p past it. */
static size_t word(const char **p, char *dst, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	while (s[n] && !blank(s[n]))
		n++;
	if (size) {
		size_t k = n < size - 1 ? n : size - 1;

		memcpy(dst, s, k);
		dst[k] = 0;
	}
	*p = s + n;
	return n;
}

/* `location [METHOD]`: the location service to ask (docs/lab-shell.md#location-ground-fix-a-gnss-p-gps):
 * none or `cell` a ground fix, `agnss` and `pgps` the same as those commands. The answer keeps
 * the name "location"; anything else after it is a usage error. */
static void location_method(const char *p, struct lab_cmd *out)
{
	char method[8];
	size_t n;

	while (blank(*p))
		p++;
	if (!*p)
		return;
	n = word(&p, method, sizeof(method));
	while (blank(*p))
		p++;
	if (*p || n >= sizeof(method))
		out->kind = LAB_CMD_USAGE;
	else if (!strcmp(method, "agnss"))
		out->kind = LAB_CMD_AGNSS;
	else if (!strcmp(method, "pgps"))
		out->kind = LAB_CMD_PGPS;
	else if (strcmp(method, "cell"))
		out->kind = LAB_CMD_USAGE;
}

/* Parses one command line: the first word names the command; `send` takes APPID and the rest
 * of the line as DATA (`report`: KEY and VALUE alike) (its inner spaces kept, trailing blanks and the line end dropped), as
 * the sim's shell always did. */
void lab_cmd_parse(const char *line, struct lab_cmd *out)
{
	char buf[LAB_DATA_MAX + LAB_APPID_MAX + LAB_NAME_MAX + 8];
	const char *p = buf;
	size_t len, i, n;

	memset(out, 0, sizeof(*out));
	len = strcspn(line, "\r\n");
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = 0;
	while (len && blank(buf[len - 1]))
		buf[--len] = 0;
	while (blank(*p))
		p++;
	if (!*p)
		return;
	word(&p, out->name, sizeof(out->name));
	out->kind = LAB_CMD_UNKNOWN;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(out->name, cmds[i].name))
			out->kind = cmds[i].kind;
	if (out->kind == LAB_CMD_LOCATION) {
		location_method(p, out);
		return;
	}
	if (out->kind != LAB_CMD_SEND && out->kind != LAB_CMD_REPORT)
		return;
	while (blank(*p))
		p++;
	n = word(&p, out->app_id, sizeof(out->app_id));
	while (blank(*p))
		p++;
	if (!n || n >= sizeof(out->app_id) || !*p || strlen(p) >= sizeof(out->data)) {
		out->kind = LAB_CMD_USAGE;
		out->app_id[0] = 0;
		return;
	}
	memcpy(out->data, p, strlen(p) + 1);
}

const char *lab_cmd_name(enum lab_cmd_kind kind)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].kind == kind)
			return cmds[i].name;
	return NULL;
}

static int put(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= size) {
		if (size)
			buf[*pos < size ? *pos : size - 1] = 0;
		return -1;
	}
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return 0;
}

int lab_json_str(char *buf, size_t size, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char esc[8];

	if (put(buf, size, pos, "\""))
		return -1;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		esc[0] = (char)c;
		esc[1] = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc[2] = 0;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			esc[2] = 0;
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = 0;
		}
		if (put(buf, size, pos, esc))
			return -1;
	}
	return put(buf, size, pos, "\"");
}

/* Writes a non-negative or negative int in decimal. */
static int put_int(char *buf, size_t size, size_t *pos, int v)
{
	char tmp[16], *t = tmp + sizeof(tmp) - 1;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	*t = 0;
	do {
		*--t = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--t = '-';
	return put(buf, size, pos, t);
}

/* "KEY":"VALUE" with a leading comma unless first */
static int member(char *buf, size_t size, size_t *pos, const char *key, const char *val,
		  int first)
{
	if ((!first && put(buf, size, pos, ",")) || lab_json_str(buf, size, pos, key) ||
	    put(buf, size, pos, ":"))
		return -1;
	return lab_json_str(buf, size, pos, val ? val : "");
}

int lab_json_member(char *buf, size_t size, size_t *pos, const char *key, const char *val)
{
	if (*pos < size)
		buf[*pos] = 0;
	return member(buf, size, pos, key, val, 0);
}

static int end(char *buf, size_t size, size_t *pos)
{
	return put(buf, size, pos, "}\r\n") ? -1 : (int)*pos;
}

int lab_fmt_ok_command(char *buf, size_t size, const char *name)
{
	size_t pos = 0;

	if (put(buf, size, &pos, "@ok {") || member(buf, size, &pos, "command", name, 1))
		return -1;
	return end(buf, size, &pos);
}

int lab_fmt_help(char *buf, size_t size)
{
	size_t pos = 0, i;

	if (put(buf, size, &pos, "@ok {\"commands\":["))
		return -1;
	for (i = 0; lab_cmd_help[i]; i++)
		if ((i && put(buf, size, &pos, ",")) ||
		    lab_json_str(buf, size, &pos, lab_cmd_help[i]))
			return -1;
	if (put(buf, size, &pos, "]"))
		return -1;
	return end(buf, size, &pos);
}

int lab_fmt_err(char *buf, size_t size, const char *error, const char *name)
{
	size_t pos = 0;

	if (put(buf, size, &pos, "@err {") || member(buf, size, &pos, "error", error, 1) ||
	    (name && member(buf, size, &pos, "command", name, 0)))
		return -1;
	return end(buf, size, &pos);
}

int lab_fmt_usage(char *buf, size_t size, const char *name)
{
	const char *u = "usage: send APPID DATA";

	if (name && !strcmp(name, "report"))
		u = "usage: report KEY VALUE";
	else if (name && !strcmp(name, "location"))
		u = "usage: location [cell|agnss|pgps]";
	return lab_fmt_err(buf, size, u, NULL);
}

int lab_fmt_status(char *buf, size_t size, const struct lab_status *st)
{
	size_t pos = 0;

	if (put(buf, size, &pos, "@ok {") || member(buf, size, &pos, "id", st->id, 1) ||
	    member(buf, size, &pos, "state", st->state, 0) ||
	    member(buf, size, &pos, "ncs", st->ncs, 0) ||
	    member(buf, size, &pos, "app", st->app, 0) ||
	    member(buf, size, &pos, "modem", st->modem, 0) ||
	    put(buf, size, &pos, st->alerts_en ? ",\"alertsEn\":true" : ",\"alertsEn\":false") ||
	    put(buf, size, &pos, ",\"logLvl\":") || put_int(buf, size, &pos, st->log_lvl))
		return -1;
	return end(buf, size, &pos);
}

int lab_fmt_version(char *buf, size_t size, const char *ncs, const char *app, const char *modem)
{
	size_t pos = 0;

	if (put(buf, size, &pos, "@ok {") || member(buf, size, &pos, "ncs", ncs, 1) ||
	    member(buf, size, &pos, "app", app, 0) || member(buf, size, &pos, "modem", modem, 0))
		return -1;
	return end(buf, size, &pos);
}

int lab_fmt_event(char *buf, size_t size, const char *ev, const char *id, const char *fields)
{
	size_t pos = 0;

	if (put(buf, size, &pos, "@ev {") || member(buf, size, &pos, "ev", ev, 1) ||
	    member(buf, size, &pos, "id", id, 0) ||
	    (fields && put(buf, size, &pos, fields)))
		return -1;
	return end(buf, size, &pos);
}
