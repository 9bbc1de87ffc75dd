/* SPDX-License-Identifier: MIT
 * log.h: one logging call for every layer. The sink is chosen by the program: stderr in the
 * CLI, mosquitto_log_printf in the plugin. Messages start with their module ("auth: ...").
 * The sink may be called from any thread; it must be thread-safe.
 */
#ifndef NCM_LOG_H
#define NCM_LOG_H

enum ncm_log_level {
	NCM_LOG_DEBUG,
	NCM_LOG_INFO,
	NCM_LOG_NOTICE,
	NCM_LOG_WARNING,
	NCM_LOG_ERR,
};

typedef void (*ncm_log_sink)(enum ncm_log_level level, const char *msg, void *userdata);

/* Installs the sink (NULL restores the default, stderr). Call before starting threads. */
void ncm_log_set_sink(ncm_log_sink sink, void *userdata);

void ncm_log(enum ncm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
