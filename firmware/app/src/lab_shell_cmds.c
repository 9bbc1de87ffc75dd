/* SPDX-License-Identifier: MIT
 * lab_shell_cmds.c: the lab shell (docs/lab-shell.md#commands) as Zephyr shell commands. Every
 * command goes through one handler that joins its arguments back into a line and hands it to
 * the portable parser (firmware/shell/lab_shell.c), so parsing and the answer lines are the
 * same code `nrfcloud-mock sim --pty` runs. Zephyr splits arguments first: runs of blanks become
 * one space and double quotes group words and are dropped (docs/firmware.md#the-lab-shell).
 */
#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/shell/shell.h>

#include "lab.h"
#include "lab_shell.h"

static char line_in[LAB_DATA_MAX + LAB_APPID_MAX + LAB_NAME_MAX];
static char line_out[512];
static struct lab_cmd cmd;

static void answer(int len)
{
	if (len > 0) {
		lab_print(line_out);
	}
}

/* Runs one parsed command; rc of the cloud glue becomes "not connected"/"not supported". */
static void run(void)
{
	struct lab_status st;
	int rc = 0;

	switch (cmd.kind) {
	case LAB_CMD_NONE:
		return;
	case LAB_CMD_HELP:
		answer(lab_fmt_help(line_out, sizeof(line_out)));
		return;
	case LAB_CMD_STATUS:
		st = (struct lab_status){ lab_cloud_id(), lab_cloud_state(), lab_ncs_version(),
					  lab_app_version(), lab_modem_version(), 0, 0 };
		answer(lab_fmt_status(line_out, sizeof(line_out), &st));
		return;
	case LAB_CMD_VERSION:
		answer(lab_fmt_version(line_out, sizeof(line_out), lab_ncs_version(),
				       lab_app_version(), lab_modem_version()));
		return;
	case LAB_CMD_USAGE:
		answer(lab_fmt_usage(line_out, sizeof(line_out), cmd.name));
		return;
	case LAB_CMD_UNKNOWN:
		answer(lab_fmt_err(line_out, sizeof(line_out), "unknown command", cmd.name));
		return;
	case LAB_CMD_SEND:
		rc = lab_cloud_send(cmd.app_id, cmd.data);
		break;
	case LAB_CMD_REPORT:
		rc = lab_cloud_report(cmd.app_id, cmd.data);
		break;
	case LAB_CMD_LOCATION:
		rc = lab_cloud_location();
		break;
	case LAB_CMD_AGNSS:
		rc = lab_cloud_agnss();
		break;
	case LAB_CMD_PGPS:
		rc = lab_cloud_pgps();
		break;
	case LAB_CMD_FOTA:
		rc = lab_cloud_fota_check();
		break;
	case LAB_CMD_RECONNECT:
		rc = lab_cloud_reconnect();
		break;
	case LAB_CMD_REBOOT:
		answer(lab_fmt_ok_command(line_out, sizeof(line_out), cmd.name));
		lab_reboot();
		return;
	}
	if (rc == -ENOTSUP) {
		answer(lab_fmt_err(line_out, sizeof(line_out), "not supported", cmd.name));
	} else if (rc) {
		answer(lab_fmt_err(line_out, sizeof(line_out), "not connected", cmd.name));
	} else {
		answer(lab_fmt_ok_command(line_out, sizeof(line_out), cmd.name));
	}
}

static int cmd_lab(const struct shell *sh, size_t argc, char **argv)
{
	size_t pos = 0, i;

	ARG_UNUSED(sh);
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (pos + n + 2 > sizeof(line_in)) {
			break; /* the parser refuses what does not fit (usage) */
		}
		if (i) {
			line_in[pos++] = ' ';
		}
		memcpy(line_in + pos, argv[i], n);
		pos += n;
	}
	line_in[pos] = 0;
	lab_cmd_parse(line_in, &cmd);
	run();
	return 0;
}

/* One Zephyr root command per lab-shell command; arguments are checked by the portable parser
 * (SHELL_OPT_ARG_CHECK_SKIP), so a bad `send`, `report` or `location` gets the contract's usage
 * answer. */
SHELL_CMD_ARG_REGISTER(help, NULL, "lab shell: list the commands", cmd_lab, 1, 0);
SHELL_CMD_ARG_REGISTER(status, NULL, "lab shell: connection state and versions", cmd_lab, 1, 0);
SHELL_CMD_ARG_REGISTER(version, NULL, "lab shell: NCS, app and modem versions", cmd_lab, 1, 0);
SHELL_CMD_ARG_REGISTER(send, NULL, "lab shell: send APPID DATA", cmd_lab, 1,
		       SHELL_OPT_ARG_CHECK_SKIP);
SHELL_CMD_ARG_REGISTER(report, NULL, "lab shell: report KEY VALUE", cmd_lab, 1,
		       SHELL_OPT_ARG_CHECK_SKIP);
SHELL_CMD_ARG_REGISTER(location, NULL, "lab shell: location [cell|agnss|pgps]", cmd_lab, 1,
		       SHELL_OPT_ARG_CHECK_SKIP);
SHELL_CMD_ARG_REGISTER(agnss, NULL, "lab shell: A-GNSS request", cmd_lab, 1, 0);
SHELL_CMD_ARG_REGISTER(pgps, NULL, "lab shell: P-GPS request", cmd_lab, 1, 0);
SHELL_CMD_ARG_REGISTER(fota, NULL, "lab shell: ask for a FOTA job", cmd_lab, 1, 0);
SHELL_CMD_ARG_REGISTER(reconnect, NULL, "lab shell: reconnect to the cloud", cmd_lab, 1, 0);
SHELL_CMD_ARG_REGISTER(reboot, NULL, "lab shell: reboot", cmd_lab, 1, 0);
