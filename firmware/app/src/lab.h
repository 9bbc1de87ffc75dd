/* SPDX-License-Identifier: MIT
 * lab.h: the lab firmware's parts (docs/firmware.md#sources): the shell commands
 * (lab_shell_cmds.c) call the cloud glue (cloud_mqtt.c or cloud_rest.c), which reports what
 * happens as lab-shell events (lab_events.c, docs/lab-shell.md#events).
 */
#ifndef LAB_H
#define LAB_H

#include <stdbool.h>
#include <stddef.h>

/* Cloud glue: each action returns 0, -ENOTCONN when the cloud is not ready, -ENOTSUP when this
 * build cannot do it, or another negative errno. */
int lab_cloud_start(void);                  /* init the library and connect */
const char *lab_cloud_state(void);          /* the contract's state names */
const char *lab_cloud_id(void);             /* the client ID */
int lab_cloud_send(const char *app_id, const char *data);
int lab_cloud_report(const char *key, const char *value);
int lab_cloud_location(void);
int lab_cloud_agnss(void);
int lab_cloud_pgps(void);
int lab_cloud_fota_check(void);
int lab_cloud_reconnect(void);

/* Versions for `status`, `version` and the ready event. */
const char *lab_ncs_version(void);          /* "2.5", "2.8", ... (major.minor of the build) */
const char *lab_app_version(void);
const char *lab_modem_version(void);

/* Reboots as after a power cycle: prints the reboot event first. */
void lab_reboot(void);

/* One "@ev" line: fields is NULL or a run of JSON members starting with a comma. */
void lab_event(const char *ev, const char *fields);
/* The ready event, with the versions. */
void lab_event_ready(void);
/* Prints one formatted shell line (an "@ok"/"@err" answer). */
void lab_print(const char *line);

#endif
