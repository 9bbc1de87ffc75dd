/* SPDX-License-Identifier: MIT
 * cmdq.h: commands for the broker thread. Only the broker thread may call mosquitto_*
 * (docs/architecture.md#threads), so HTTP threads push commands here and the TICK handler runs them.
 * A command may carry a completion callback, called on the broker thread after it ran (HTTP
 * handlers use it to resume a suspended request, so "deleted" really means "disconnected").
 */
#ifndef NCM_CMDQ_H
#define NCM_CMDQ_H

#include <stddef.h>

enum ncm_cmd_kind {
	NCM_CMD_KICK,    /* disconnect client_id (NULL: every client); topic holds the reason */
	NCM_CMD_PUBLISH, /* publish payload on topic, routed to subscribers; client_id names the
			  * device it is for, in the journal */
};

struct ncm_cmd {
	enum ncm_cmd_kind kind;
	char *client_id;   /* owned */
	char *topic;       /* owned */
	void *payload;     /* owned */
	size_t payload_len;
	int qos;
	int delay_ticks;   /* run only after this many more broker ticks (0: the next one) */
	int result;        /* set by the broker thread before done runs */
	void (*done)(struct ncm_cmd *cmd, void *userdata);
	void *userdata;
	struct ncm_cmd *next;
};

/* New command with copies of client_id and topic (either may be NULL); NULL on no memory. */
struct ncm_cmd *ncm_cmd_new(enum ncm_cmd_kind kind, const char *client_id, const char *topic);
void ncm_cmd_free(struct ncm_cmd *cmd);

/* Queues cmd (the queue takes it). Any thread. */
void ncm_cmdq_push(struct ncm_cmd *cmd);

/* fn is called after each push (outside the lock), to wake the broker thread; NULL: none. */
void ncm_cmdq_set_wake(void (*fn)(void));

/* Takes every queued command, oldest first, as a list linked by next. Broker thread. */
struct ncm_cmd *ncm_cmdq_take_all(void);

#endif
