/* SPDX-License-Identifier: MIT
 * cli.h: the nrfcloud-mock command's subcommands (one file each) and what they share.
 * Only the CLI exits; it reports errors as one line on stderr. Exit status 2 means the input was
 * wrong (flags, files, IDs); 1 means something else failed.
 */
#ifndef NCM_CLI_H
#define NCM_CLI_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "opts.h"

int ncm_cmd_serve(int argc, char **argv);
int ncm_cmd_ca(int argc, char **argv);
int ncm_cmd_replay(int argc, char **argv);
int ncm_cmd_sim(int argc, char **argv);

/* The flags that fill a struct ncm_config; *n gets their number. serve_only = 0 gives the
 * subset `ca` takes (data folder and host names). */
const struct ncm_opt *ncm_cli_config_opts(struct ncm_config *cfg, int serve_only, size_t *n);

/* The server certificate's names: the three public host names (deduplicated) and localhost,
 * 127.0.0.1, ::1 (design.md §2). Returns how many were put in names (at most 6). */
size_t ncm_cli_server_sans(const struct ncm_config *cfg, const char *names[6]);

/* Prints "nrfcloud-mock <cmd>: <message>" as one line on stderr; returns status. */
int ncm_cli_fail(const char *cmd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets up the lab CA in cfg->data_dir, printing what was created to stderr. */
int ncm_cli_ca_init(const struct ncm_config *cfg, time_t now);

#endif
