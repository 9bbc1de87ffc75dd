/* SPDX-License-Identifier: MIT
 * sim_shell.c: the lab shell of one simulated device (docs/lab-shell.md): a command per line
 * in, "@ok {...}" or "@err {...}" out; device events go out as "@ev {...}" lines from
 * sim_loop.c. The same contract as the lab firmware's shell, so a HIL test drives `sim --pty`
 * and a real kit the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static void answer(int fd, const char *kind, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);

	dprintf(fd, "@%s %s\r\n", kind, text ? text : "{}");
	free(text);
	json_decref(j);
}

static const char *state_name(enum ncm_dev_state s)
{
	static const char *const names[] = { "off", "connecting", "cc_connecting",
					     "state_requested", "paired", "dc_connecting",
					     "ready" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void ncm_sim_shell_line(struct ncm_dev *dev, const char *line, int64_t now, int fd,
			struct ncm_dev_out *out)
{
	char cmd[32] = "", arg1[64] = "", rest[512] = "";
	int n = sscanf(line, "%31s %63s %511[^\r\n]", cmd, arg1, rest);
	int rc = 0;

	if (n < 1)
		return;
	if (!strcmp(cmd, "help")) {
		answer(fd, "ok", json_pack("{s:[s,s,s,s,s,s,s,s]}", "commands", "help", "status",
					   "version", "send APPID DATA", "location", "agnss",
					   "pgps", "reboot"));
		return;
	}
	if (!strcmp(cmd, "status")) {
		answer(fd, "ok", json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i}", "id", dev->id,
					   "state", state_name(dev->state), "ncs", dev->p->ncs,
					   "app", dev->app_version, "modem", dev->modem_fw,
					   "alertsEn", dev->alerts_en, "logLvl", dev->log_lvl));
		return;
	}
	if (!strcmp(cmd, "version")) {
		answer(fd, "ok", json_pack("{s:s, s:s, s:s}", "ncs", dev->p->ncs, "app",
					   dev->app_version, "modem", dev->modem_fw));
		return;
	}
	if (!strcmp(cmd, "send")) {
		if (n < 3) {
			answer(fd, "err", json_pack("{s:s}", "error", "usage: send APPID DATA"));
			return;
		}
		rc = ncm_dev_send_message(dev, arg1, rest, now, out);
	} else if (!strcmp(cmd, "location")) {
		rc = ncm_dev_request_ground_fix(dev, now, out);
	} else if (!strcmp(cmd, "agnss")) {
		rc = ncm_dev_request_agnss(dev, now, out);
	} else if (!strcmp(cmd, "pgps")) {
		rc = ncm_dev_request_pgps(dev, now, out);
	} else if (!strcmp(cmd, "reboot")) {
		ncm_dev_reboot(dev, now, out);
	} else {
		answer(fd, "err", json_pack("{s:s, s:s}", "error", "unknown command", "command",
					    cmd));
		return;
	}
	if (rc)
		answer(fd, "err", json_pack("{s:s, s:s}", "error", "not connected", "command", cmd));
	else
		answer(fd, "ok", json_pack("{s:s}", "command", cmd));
}
