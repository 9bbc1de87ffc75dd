/* SPDX-License-Identifier: MIT
 * cli.h: the nrfcloud-mock command's subcommands (one file each) and what they share.
 * Only the CLI exits; it reports errors as one line on stderr. Exit status 2 means the input was
 * wrong (flags, files, IDs); 1 means something else failed.
 */
#ifndef NCM_CLI_H
#define NCM_CLI_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "config.h"
#include "opts.h"

int ncm_cmd_serve(int argc, char **argv);
int ncm_cmd_ca(int argc, char **argv);
int ncm_cmd_replay(int argc, char **argv);
int ncm_cmd_provision(int argc, char **argv);
int ncm_cmd_sim(int argc, char **argv);

/* The flags that fill a struct ncm_config; *n gets their number. serve_only = 0 gives the
 * subset `ca` takes (data folder and host names). */
const struct ncm_opt *ncm_cli_config_opts(struct ncm_config *cfg, int serve_only, size_t *n);

/* The server certificate's names: the three public host names (deduplicated) and localhost,
 * 127.0.0.1, ::1 (docs/architecture.md#identity-and-the-lab-ca). Returns how many were put in names (at most 6). */
size_t ncm_cli_server_sans(const struct ncm_config *cfg, const char *names[6]);

/* The fingerprint of what serve's lab-CA check and fixture load read besides the store
 * (start_stamp.c, store/startstamp.h): 0 and a NUL-terminated text in out, or -1 when a file
 * cannot be read (then there is no stamp, and the check runs). */
#define NCM_CLI_STAMP_SIZE 32
int ncm_cli_start_stamp(const struct ncm_config *cfg, char out[NCM_CLI_STAMP_SIZE]);

/* Prints "nrfcloud-mock <cmd>: <message>" as one line on stderr; returns status. */
int ncm_cli_fail(const char *cmd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets up the lab CA in cfg->data_dir, printing what was created to stderr. */
int ncm_cli_ca_init(const struct ncm_config *cfg, time_t now);

/* The type-0 credential for a modem sec tag in the form %CMNG writes (CR LF line ends): the lab
 * CA of data_dir ("lab"), followed by Amazon Root CA 1 read from amazon_path ("lab+amazon").
 * *out is malloc'd. */
#define AMAZON_ROOT_CA_1_PATH "/usr/share/ca-certificates/mozilla/Amazon_Root_CA_1.crt"
int ncm_cli_ca_text(const char *data_dir, const char *which, const char *amazon_path,
		    char **out, struct ncm_err_info *err);

/* `ca export --firmware DIR`: the files of certs/README.md for the lab CA of cfg, device
 * certificates for the comma-separated IDs in devices (may be NULL), the type-0 credential
 * `which` ("lab" or "lab+amazon") and the AT script for sec tag tag. Exit status. */
int ncm_cli_ca_export_firmware(const struct ncm_config *cfg, const char *dir,
			       const char *devices, const char *which, unsigned long tag);

/* Onboards id with its certificate (pem / cert): POST <server>/mock/v1/devices with the admin
 * token (may be ""), or straight into cfg's state.db. replace deletes a device that exists
 * first. Exit status; a failure is one line on stderr. */
int ncm_cli_onboard_api(const char *server, const char *token, const char *id, const char *pem,
			int replace);
int ncm_cli_onboard_data(const struct ncm_config *cfg, const char *id, const char *pem,
			 X509 *cert, int replace);

#endif
