/* SPDX-License-Identifier: MIT
 * opts.c: flags and their environment variables (see opts.h).
 */
#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = 1, 0;
		if (!strcasecmp(s, no[i]))
			return *out = 0, 0;
	}
	return -1;
}

/* Stores value into opt; 2 (and a line on stderr) when it does not fit the type. */
static int set(const char *cmd, const struct ncm_opt *o, const char *value, const char *from)
{
	char *end;
	long long v;

	switch (o->type) {
	case NCM_OPT_STR:
		if (strlen(value) >= o->size) {
			fprintf(stderr, "nrfcloud-mock %s: %s: value longer than %zu characters\n",
				cmd, from, o->size - 1);
			return 2;
		}
		snprintf(o->dst, o->size, "%s", value);
		return 0;
	case NCM_OPT_BOOL:
		if (parse_bool(value, o->dst)) {
			fprintf(stderr, "nrfcloud-mock %s: %s: '%s' is not a yes/no value\n", cmd,
				from, value);
			return 2;
		}
		return 0;
	case NCM_OPT_INT:
	case NCM_OPT_I64:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno || end == value || *end || v < 0 ||
		    (o->type == NCM_OPT_INT && v > INT32_MAX)) {
			fprintf(stderr, "nrfcloud-mock %s: %s: '%s' is not a non-negative number\n",
				cmd, from, value);
			return 2;
		}
		if (o->type == NCM_OPT_INT)
			*(int *)o->dst = (int)v;
		else
			*(int64_t *)o->dst = v;
		return 0;
	}
	return 2;
}

static void env_name(const char *flag, char *buf, size_t size)
{
	size_t i, n = (size_t)snprintf(buf, size, "NRFCLOUD_MOCK_");

	for (i = 0; flag[i] && n + 1 < size; i++)
		buf[n++] = flag[i] == '-' ? '_' : (char)toupper((unsigned char)flag[i]);
	buf[n] = '\0';
}

int ncm_opts_parse(const char *cmd, const struct ncm_opt *opts, size_t n, int argc, char **argv,
		   char **pos, size_t *n_pos, int *help)
{
	char env[128], from[160];
	const char *v;
	size_t i;
	int a;

	*n_pos = 0;
	*help = 0;
	for (i = 0; i < n; i++) {
		env_name(opts[i].name, env, sizeof(env));
		v = getenv(env);
		if (v && *v && set(cmd, &opts[i], v, env))
			return 2;
	}
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *eq;
		size_t len;
		int negated = 0;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			*help = 1;
			continue;
		}
		if (strncmp(arg, "--", 2) || !arg[2]) {
			if (*n_pos == NCM_MAX_POSITIONAL) {
				fprintf(stderr, "nrfcloud-mock %s: too many arguments at '%s'\n",
					cmd, arg);
				return 2;
			}
			pos[(*n_pos)++] = argv[a];
			continue;
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (i = 0; i < n; i++) {
			if (strlen(opts[i].name) == len && !strncmp(opts[i].name, arg, len))
				break;
			if (opts[i].type == NCM_OPT_BOOL && len == strlen(opts[i].name) + 3 &&
			    !strncmp(arg, "no-", 3) && !strncmp(arg + 3, opts[i].name, len - 3)) {
				negated = 1;
				break;
			}
		}
		if (i == n) {
			fprintf(stderr, "nrfcloud-mock %s: unknown flag '--%.*s'; see "
				"'nrfcloud-mock %s --help'\n", cmd, (int)len, arg, cmd);
			return 2;
		}
		snprintf(from, sizeof(from), "--%s", opts[i].name);
		if (opts[i].type == NCM_OPT_BOOL && !eq) {
			*(int *)opts[i].dst = !negated;
			continue;
		}
		if (eq) {
			v = eq + 1;
		} else if (a + 1 < argc) {
			v = argv[++a];
		} else {
			fprintf(stderr, "nrfcloud-mock %s: --%s needs a value\n", cmd,
				opts[i].name);
			return 2;
		}
		if (set(cmd, &opts[i], v, from))
			return 2;
	}
	return 0;
}

void ncm_opts_usage(const struct ncm_opt *opts, size_t n)
{
	char left[64], env[128];
	size_t i;

	for (i = 0; i < n; i++) {
		if (opts[i].type == NCM_OPT_BOOL)
			snprintf(left, sizeof(left), "--[no-]%s", opts[i].name);
		else
			snprintf(left, sizeof(left), "--%s %s", opts[i].name,
				 opts[i].metavar ? opts[i].metavar : "VALUE");
		env_name(opts[i].name, env, sizeof(env));
		printf("  %-28s %s [%s]\n", left, opts[i].help, env);
	}
}
