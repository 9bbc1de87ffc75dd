/* SPDX-License-Identifier: MIT
 * client_main.c: nrfcloud-mock-client, the program behind `nrfcloud-mock replay`, `provision`
 * and `sim` (the commands that need libcurl and libmosquitto). nrfcloud-mock (main.c) execs it
 * with its own arguments, so argv[1] is the command's name; it is not meant to be run by hand,
 * but behaves the same when it is.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "replay", ncm_cmd_replay },
	{ "provision", ncm_cmd_provision },
	{ "sim", ncm_cmd_sim },
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "nrfcloud-mock: unknown command '%s'; run 'nrfcloud-mock --help'\n",
		argc >= 2 ? argv[1] : "");
	return 2;
}
