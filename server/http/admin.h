/* SPDX-License-Identifier: MIT
 * admin.h: the admin API's handlers, one file per resource family, and what they share.
 */
#ifndef NCM_HTTP_ADMIN_H
#define NCM_HTTP_ADMIN_H

#include "outbox.h"
#include "request.h"

/* 1 when the request may use /mock/v1; otherwise it has been answered with 401 in *ret. */
int ncm_admin_authorized(struct ncm_req *req, enum MHD_Result *ret);

#define NCM_REQUIRE_ADMIN(req)                                  \
	do {                                                    \
		enum MHD_Result r_;                             \
		if (!ncm_admin_authorized(req, &r_))            \
			return r_;                              \
	} while (0)

/* admin_devices.c */
enum MHD_Result ncm_admin_devices_get(struct ncm_req *req);
enum MHD_Result ncm_admin_devices_post(struct ncm_req *req);
enum MHD_Result ncm_admin_device_get(struct ncm_req *req);
enum MHD_Result ncm_admin_device_delete(struct ncm_req *req);

/* admin_reset.c */
enum MHD_Result ncm_admin_reset_post(struct ncm_req *req);
/* Removes the image folders of bundles no longer stored. */
void ncm_admin_remove_stale_bundles(void);

/* admin_fixtures.c */
enum MHD_Result ncm_admin_fixtures_get(struct ncm_req *req);
enum MHD_Result ncm_admin_fixtures_put(struct ncm_req *req);

/* admin_faults.c */
enum MHD_Result ncm_admin_faults_post(struct ncm_req *req);
enum MHD_Result ncm_admin_faults_get(struct ncm_req *req);
enum MHD_Result ncm_admin_faults_delete(struct ncm_req *req);

/* admin_wait.c */
enum MHD_Result ncm_admin_wait_post(struct ncm_req *req);

/* admin_location.c */
enum MHD_Result ncm_admin_location_get(struct ncm_req *req);
enum MHD_Result ncm_admin_location_cells_put(struct ncm_req *req);
enum MHD_Result ncm_admin_location_wifi_put(struct ncm_req *req);
enum MHD_Result ncm_admin_location_delete(struct ncm_req *req);

/* admin_shadow.c */
enum MHD_Result ncm_admin_shadow_get(struct ncm_req *req);
enum MHD_Result ncm_admin_shadow_patch(struct ncm_req *req);
enum MHD_Result ncm_admin_shadow_put(struct ncm_req *req);
enum MHD_Result ncm_admin_messages_get(struct ncm_req *req);
enum MHD_Result ncm_admin_messages_post(struct ncm_req *req);

/* admin_team.c */
enum MHD_Result ncm_admin_team_get(struct ncm_req *req);

#endif
