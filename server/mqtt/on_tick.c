/* SPDX-License-Identifier: MIT
 * on_tick.c: the broker loop's tick (about ten a second when idle; docs/architecture.md#threads). The
 * first tick tells the world we are ready: by then every listener is bound. Every tick runs the
 * commands other threads queued, since only this thread may call mosquitto_*.
 */
#include <stdlib.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include "clients.h"
#include "cmdq.h"
#include "log.h"
#include "mqtt_internal.h"
#include "runtime.h"
#include "waiters.h"
#include "wake.h"

static ncm_mqtt_ready_fn ready_fn;
static int announced;

void ncm_mqtt_tick_set_ready(ncm_mqtt_ready_fn fn)
{
	ready_fn = fn;
	announced = 0;
}

void ncm_mqtt_kick(const char *device_id, const char *reason)
{
	ncm_clients_set_kick_reason(device_id, reason);
	mosquitto_kick_client_by_clientid(device_id, false);
}

/* Disconnects every client and drops held deliveries (a reset, or new fixtures). */
static void kick_all(const char *reason)
{
	ncm_clients_set_kick_reason(NULL, reason);
	mosquitto_kick_client_by_clientid(NULL, false);
	ncm_mqtt_delayed_clear();
	ncm_mqtt_hold_clear();
}

static void run(struct ncm_cmd *cmd)
{
	switch (cmd->kind) {
	case NCM_CMD_KICK:
		if (cmd->client_id)
			ncm_mqtt_kick(cmd->client_id, cmd->topic ? cmd->topic : "kicked");
		else
			kick_all(cmd->topic ? cmd->topic : "kicked");
		cmd->result = MOSQ_ERR_SUCCESS;
		break;
	case NCM_CMD_PUBLISH:
		cmd->result = ncm_mqtt_publish(cmd->topic, cmd->payload, cmd->payload_len,
					       cmd->qos, cmd->client_id);
		break;
	}
}

/* --journal-max-bytes: the ring is trimmed by size every two seconds (by count it is trimmed
 * at each append), so it may pass the cap by what two seconds add. */
static void trim_journal(int64_t now_ms)
{
	static int64_t last_ms;
	struct ncm_err_info err = { 0 };
	struct ncm_db *db;

	if (now_ms - last_ms < 2000)
		return;
	last_ms = now_ms;
	db = ncm_rt_db();
	if (db && ncm_store_journal_trim_bytes(db, ncm_rt()->cfg.journal_max_bytes, &err))
		ncm_log(NCM_LOG_ERR, "journal: %s", err.msg);
}

int ncm_mqtt_on_tick(int event, void *event_data, void *userdata)
{
	struct ncm_cmd *cmd, *next;

	(void)event;
	(void)event_data;
	(void)userdata;
	if (!announced) {
		announced = 1;
		ncm_rt_set_broker_ready();
		if (ready_fn)
			ready_fn();
	}
	ncm_mqtt_wake_drain();
	ncm_waiters_expire(ncm_rt_now_ms());
	ncm_mqtt_preconnect_tick(ncm_rt_now_ms());
	trim_journal(ncm_rt_now_ms());
	ncm_mqtt_delayed_flush(ncm_rt_now_ms());
	ncm_mqtt_hold_tick(ncm_rt_now_ms());
	ncm_mqtt_tls_watch_tick();
	for (cmd = ncm_cmdq_take_all(); cmd; cmd = next) {
		next = cmd->next;
		if (cmd->delay_ticks > 0) {
			/* e.g. a kick after a DISCON message: the message queued this tick is
			 * written to the client in the loop's next iteration */
			cmd->delay_ticks--;
			ncm_cmdq_push(cmd);
			continue;
		}
		run(cmd);
		if (cmd->done)
			cmd->done(cmd, cmd->userdata);
		ncm_cmd_free(cmd);
	}
	return MOSQ_ERR_SUCCESS;
}
