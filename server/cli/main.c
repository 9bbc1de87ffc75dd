/* SPDX-License-Identifier: MIT
 * main.c: the nrfcloud-mock command: a table of subcommands (docs/cli.md).
 *
 * `serve` and `ca` run in this program, which links neither libcurl nor libmosquitto: loading
 * them and what they bring (GnuTLS, LDAP, SSH, RTMP, Kerberos) was a sixth of the time from
 * `serve` to /health (docs/performance.md#start-up). The client commands (`replay`,
 * `provision`, `sim`) live in a second program, nrfcloud-mock-client (client_main.c), which this
 * one execs with the same arguments, so their output, flags and exit status are unchanged.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "file.h"

#ifndef NCM_CLIENT_PATH
#define NCM_CLIENT_PATH "nrfcloud-mock-client"
#endif

static const struct {
	const char *name;
	int (*run)(int argc, char **argv); /* NULL: a command of nrfcloud-mock-client */
	const char *summary;
} commands[] = {
	{ "serve", ncm_cmd_serve, "run the mock nRF Cloud (MQTT, REST, admin) on this machine" },
	{ "ca", ncm_cmd_ca, "manage the lab CA: init, show, export, issue-device, sign-csr" },
	{ "replay", NULL, "play the device side of a recording against a server" },
	{ "provision", NULL, "put lab credentials into an nRF91 modem over serial" },
	{ "sim", NULL, "run simulated nRF91 devices (nRF Connect SDK 2.5, 2.8, 3.3)" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: nrfcloud-mock <command> [flags]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'nrfcloud-mock <command> --help' lists a command's flags.\n");
}

/* Where nrfcloud-mock-client is: in a build folder it is built at server/cli/ below this
 * program (as the plugin is at server/), else the installed one beside the plugin. */
static void find_client(char *path, size_t size)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (!ncm_path(path, size, "%s/server/cli/nrfcloud-mock-client", exe) &&
			    access(path, X_OK) == 0)
				return;
		}
	}
	snprintf(path, size, "%s", NCM_CLIENT_PATH);
}

/* Runs a client command: execs nrfcloud-mock-client with our own argv. Returns only on failure. */
static int exec_client(char **argv)
{
	char path[PATH_MAX];

	find_client(path, sizeof(path));
	execv(path, argv);
	fprintf(stderr, "nrfcloud-mock %s: cannot run %s: %s (replay, provision and sim run "
		"there; reinstall nrfcloud-mock)\n", argv[1], path, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("nrfcloud-mock %s\n", NCM_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run ? commands[i].run(argc - 1, argv + 1)
					       : exec_client(argv);
	fprintf(stderr, "nrfcloud-mock: unknown command '%s'; run 'nrfcloud-mock --help'\n",
		argv[1]);
	return 2;
}
