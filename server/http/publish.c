/* SPDX-License-Identifier: MIT
 * publish.c: publishing from HTTP threads through the broker thread (see publish.h).
 */
#include "publish.h"

#include <string.h>

#include "cmdq.h"

/* Runs on the broker thread for each command; the last one resumes the request. Only the broker
 * thread touches the counters until then (MHD's resume orders the handover). */
static void done_one(struct ncm_cmd *cmd, void *userdata)
{
	struct ncm_req *req = userdata;

	if (cmd->result)
		req->pub_failed++;
	if (++req->pub_done == req->pub_total)
		ncm_req_resume(req);
}

enum MHD_Result ncm_http_publish_then(struct ncm_req *req, struct ncm_outbox *out,
				      const char *device_id, const char *kick_device,
				      const char *kick_reason, ncm_handler on_done)
{
	struct ncm_outmsg *m;
	struct ncm_cmd *cmd, *list = NULL, **tail = &list;

	req->pub_total = req->pub_done = req->pub_failed = 0;
	for (m = out->head; m; m = m->next) {
		cmd = ncm_cmd_new(NCM_CMD_PUBLISH, device_id, m->topic);
		if (!cmd)
			goto nomem;
		cmd->payload = m->payload;
		cmd->payload_len = m->len;
		m->payload = NULL;
		cmd->qos = 1;
		*tail = cmd;
		tail = &cmd->next;
	}
	if (kick_device) {
		cmd = ncm_cmd_new(NCM_CMD_KICK,
				  strcmp(kick_device, NCM_KICK_ALL) ? kick_device : NULL,
				  kick_reason);
		if (!cmd)
			goto nomem;
		cmd->delay_ticks = list ? 2 : 0;
		*tail = cmd;
	}
	ncm_outbox_release(out);
	if (!list)
		return on_done(req);
	for (cmd = list; cmd; cmd = cmd->next) {
		cmd->done = done_one;
		cmd->userdata = req;
		req->pub_total++;
	}
	ncm_req_suspend(req, on_done);
	while (list) {
		cmd = list;
		list = cmd->next;
		ncm_cmdq_push(cmd);
	}
	return MHD_YES;
nomem:
	while (list) {
		cmd = list;
		list = cmd->next;
		ncm_cmd_free(cmd);
	}
	ncm_outbox_release(out);
	return MHD_NO;
}
