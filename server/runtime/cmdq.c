/* SPDX-License-Identifier: MIT
 * cmdq.c: the locked command queue to the broker thread (see cmdq.h).
 */
#include "cmdq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ncm_cmd *head, *tail;
static void (*_Atomic wake_fn)(void);

void ncm_cmdq_set_wake(void (*fn)(void))
{
	wake_fn = fn;
}

struct ncm_cmd *ncm_cmd_new(enum ncm_cmd_kind kind, const char *client_id, const char *topic)
{
	struct ncm_cmd *cmd = calloc(1, sizeof(*cmd));

	if (!cmd)
		return NULL;
	cmd->kind = kind;
	if ((client_id && !(cmd->client_id = strdup(client_id))) ||
	    (topic && !(cmd->topic = strdup(topic)))) {
		ncm_cmd_free(cmd);
		return NULL;
	}
	return cmd;
}

void ncm_cmd_free(struct ncm_cmd *cmd)
{
	if (!cmd)
		return;
	free(cmd->client_id);
	free(cmd->topic);
	free(cmd->payload);
	free(cmd);
}

void ncm_cmdq_push(struct ncm_cmd *cmd)
{
	void (*fn)(void);

	cmd->next = NULL;
	pthread_mutex_lock(&lock);
	if (tail)
		tail->next = cmd;
	else
		head = cmd;
	tail = cmd;
	pthread_mutex_unlock(&lock);
	fn = wake_fn;
	if (fn)
		fn();
}

struct ncm_cmd *ncm_cmdq_take_all(void)
{
	struct ncm_cmd *list;

	pthread_mutex_lock(&lock);
	list = head;
	head = tail = NULL;
	pthread_mutex_unlock(&lock);
	return list;
}
