/* SPDX-License-Identifier: MIT
 * sim_shell.c: the lab shell of one simulated device (docs/lab-shell.md): a command per line
 * in, "@ok {...}" or "@err {...}" out; device events go out as "@ev {...}" lines from
 * sim_loop.c. The same contract as the lab firmware's shell, so a HIL test drives `sim --pty`
 * and a real kit the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_shell.h"
#include "sim.h"

/* Writes one formatted line (a line that did not fit is an error line instead). */
static void emit(int fd, const char *buf, int len)
{
	if (len < 0)
		dprintf(fd, "@err {\"error\":\"answer too long\"}\r\n");
	else
		dprintf(fd, "%s", buf);
}

static const char *state_name(enum ncm_dev_state s)
{
	static const char *const names[] = { "off", "connecting", "cc_connecting",
					     "state_requested", "paired", "dc_connecting",
					     "ready" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* One command line: parsed and answered by the portable lab shell (firmware/shell), the same
 * code the lab firmware runs, so both speak one implementation of docs/lab-shell.md. */
void ncm_sim_shell_line(struct ncm_dev *dev, const char *line, int64_t now, int fd,
			struct ncm_dev_out *out)
{
	struct lab_cmd c;
	struct lab_status st;
	char buf[1024];
	int rc = 0;

	lab_cmd_parse(line, &c);
	switch (c.kind) {
	case LAB_CMD_NONE:
		return;
	case LAB_CMD_HELP:
		emit(fd, buf, lab_fmt_help(buf, sizeof(buf)));
		return;
	case LAB_CMD_STATUS:
		st = (struct lab_status){ dev->id, state_name(dev->state), dev->p->ncs,
					  dev->app_version, dev->modem_fw, dev->alerts_en,
					  dev->log_lvl };
		emit(fd, buf, lab_fmt_status(buf, sizeof(buf), &st));
		return;
	case LAB_CMD_VERSION:
		emit(fd, buf, lab_fmt_version(buf, sizeof(buf), dev->p->ncs, dev->app_version,
					      dev->modem_fw));
		return;
	case LAB_CMD_USAGE:
		emit(fd, buf, lab_fmt_usage(buf, sizeof(buf), c.name));
		return;
	case LAB_CMD_UNKNOWN:
		emit(fd, buf, lab_fmt_err(buf, sizeof(buf), "unknown command", c.name));
		return;
	case LAB_CMD_SEND:
		rc = ncm_dev_send_message(dev, c.app_id, c.data, now, out);
		break;
	case LAB_CMD_LOCATION:
		rc = ncm_dev_request_ground_fix(dev, now, out);
		break;
	case LAB_CMD_AGNSS:
		rc = ncm_dev_request_agnss(dev, now, out);
		break;
	case LAB_CMD_PGPS:
		rc = ncm_dev_request_pgps(dev, now, out);
		break;
	case LAB_CMD_REBOOT:
		ncm_dev_reboot(dev, now, out);
		break;
	case LAB_CMD_REPORT: {
		json_t *v = json_loads(c.data, JSON_DECODE_ANY, NULL);

		rc = ncm_dev_report_config(dev, c.app_id, v ? v : json_string(c.data), out);
		break;
	}
	case LAB_CMD_FOTA:
		rc = ncm_dev_fota_check(dev, out);
		break;
	case LAB_CMD_RECONNECT:
		rc = ncm_dev_reconnect(dev, now, out);
		break;
	}
	if (rc)
		emit(fd, buf, lab_fmt_err(buf, sizeof(buf), "not connected", c.name));
	else
		emit(fd, buf, lab_fmt_ok_command(buf, sizeof(buf), c.name));
}
