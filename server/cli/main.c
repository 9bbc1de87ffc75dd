/* SPDX-License-Identifier: MIT
 * main.c: the nrfcloud-mock command: a table of subcommands (docs/cli.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "serve", ncm_cmd_serve, "run the mock nRF Cloud (MQTT, REST, admin) on this machine" },
	{ "ca", ncm_cmd_ca, "manage the lab CA: init, show, export, issue-device, sign-csr" },
	{ "replay", ncm_cmd_replay, "play the device side of a recording against a server" },
	{ "provision", ncm_cmd_provision, "put lab credentials into an nRF91 modem over serial" },
	{ "sim", ncm_cmd_sim, "run simulated nRF91 devices (nRF Connect SDK 2.5, 2.8, 3.3)" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: nrfcloud-mock <command> [flags]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'nrfcloud-mock <command> --help' lists a command's flags.\n");
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
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "nrfcloud-mock: unknown command '%s'; run 'nrfcloud-mock --help'\n",
		argv[1]);
	return 2;
}
