/* SPDX-License-Identifier: MIT
 * wake.h: the plugin's own connection to its broker, which wakes the broker loop when another
 * thread queues a command (see wake.c).
 */
#ifndef NCM_MQTT_WAKE_H
#define NCM_MQTT_WAKE_H

/* Broker thread, in plugin init: makes the password and starts connecting. 0, or -1. */
int ncm_mqtt_wake_start(void);
/* Plugin cleanup. */
void ncm_mqtt_wake_stop(void);

/* Any thread: makes the broker loop run its tick soon (nothing on the broker thread itself). */
void ncm_mqtt_wake(void);

/* The tick, before it takes the command queue: reads the broker's answers, reconnects when
 * the broker closed the connection. */
void ncm_mqtt_wake_drain(void);

/* Basic auth: 1 when username and password are the wake-up connection's, -1 when the username
 * is its but the password is wrong, 0 when the username is another. */
int ncm_mqtt_wake_check(const char *username, const char *password);

#endif
