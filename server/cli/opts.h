/* SPDX-License-Identifier: MIT
 * opts.h: flag parsing for the subcommands. Every flag --some-flag can also be set with the
 * environment variable NRFCLOUD_MOCK_SOME_FLAG (docs/cli.md, for Docker); a flag on the command
 * line wins over the variable. Boolean flags take --flag / --no-flag, or 1/0, true/false,
 * yes/no, on/off in the variable.
 */
#ifndef NCM_CLI_OPTS_H
#define NCM_CLI_OPTS_H

#include <stddef.h>

enum ncm_opt_type { NCM_OPT_STR, NCM_OPT_INT, NCM_OPT_BOOL, NCM_OPT_I64 };

struct ncm_opt {
	const char *name;      /* without the dashes */
	enum ncm_opt_type type;
	void *dst;             /* char[size], int, int, int64_t */
	size_t size;
	const char *metavar;
	const char *help;
};

#define NCM_MAX_POSITIONAL 8

/* Parses argv[1..] (argv[0] is the subcommand name). Positional arguments go to pos (at most
 * NCM_MAX_POSITIONAL). "--help" sets *help. Returns 0, or 2 after printing one line to stderr. */
int ncm_opts_parse(const char *cmd, const struct ncm_opt *opts, size_t n, int argc, char **argv,
		   char **pos, size_t *n_pos, int *help);

/* Prints the flags, one per line, to stdout. */
void ncm_opts_usage(const struct ncm_opt *opts, size_t n);

#endif
