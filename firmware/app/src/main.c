/* SPDX-License-Identifier: MIT
 * main.c: the lab firmware's start (docs/firmware.md): modem library, LTE, the versions the
 * lab shell reports, then the cloud glue. The shell itself starts with the system
 * (lab_shell_cmds.c).
 */
#include <stdio.h>

#include <ncs_version.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/reboot.h>
#include <modem/lte_lc.h>
#include <modem/modem_info.h>
#include <modem/nrf_modem_lib.h>

#include "lab.h"

LOG_MODULE_REGISTER(lab, LOG_LEVEL_INF);

static char ncs[8];
static char modem_fw[64] = "?";

const char *lab_ncs_version(void)
{
	return ncs;
}

const char *lab_app_version(void)
{
	return CONFIG_LAB_APP_VERSION;
}

const char *lab_modem_version(void)
{
	return modem_fw;
}

void lab_reboot(void)
{
	lab_event("reboot", NULL);
	k_sleep(K_MSEC(100)); /* let the UART drain the event line */
	sys_reboot(SYS_REBOOT_COLD);
}

int main(void)
{
	int err;

	/* the generation the suite compares with: major.minor of the SDK (ncs_version.h) */
	snprintf(ncs, sizeof(ncs), "%d.%d", NCS_VERSION_MAJOR, NCS_VERSION_MINOR);
	err = nrf_modem_lib_init();
	if (err) {
		LOG_ERR("modem library: %d", err);
		return 0;
	}
	if (modem_info_init() == 0) {
		(void)modem_info_string_get(MODEM_INFO_FW_VERSION, modem_fw, sizeof(modem_fw));
	}
	LOG_INF("connecting to LTE");
	/* lte_lc_init_and_connect() became lte_lc_connect() in v2.8.0 (NCS migration guide 2.8.0) */
#if NCS_VERSION_NUMBER >= 0x20800
	err = lte_lc_connect();
#else
	err = lte_lc_init_and_connect();
#endif
	if (err) {
		LOG_ERR("LTE: %d", err);
		return 0;
	}
	err = lab_cloud_start();
	if (err) {
		LOG_ERR("cloud: %d", err);
	}
	return 0;
}
