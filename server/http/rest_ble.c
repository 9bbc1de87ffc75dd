/* SPDX-License-Identifier: MIT
 * rest_ble.c: the BLE gateway operations (StartScanForBLEDevices, StartPeripheralDiscovery,
 * AddPeripheral, Fetch/UpdateCharacteristicValue, Fetch/UpdateDescriptorValue; nRF Cloud's
 * OpenAPI as NauEngineering/python_nRF_cloud_client BluetoothLowEnergyDevicesApi.md and
 * GatewaysApi.md list them; docs/protocol-rest.md#rest-surface). A team of nRF91 devices
 * has no gateway and no BLE device: an unknown device is 404 40410, a device that is not a
 * gateway (or, for characteristic and descriptor operations, not a BLE device) 400 40000. A
 * device onboarded with a subType containing "gateway" is a gateway, but the mock does not
 * relay BLE operations to it: 501 with 40000, said in the message.
 */
#include <string.h>

#include "devices.h"
#include "rest_common.h"
#include "runtime.h"

/* Answers for {deviceId} as a gateway (want_gateway) or as a BLE peripheral. */
static enum MHD_Result refuse(struct ncm_req *req, int want_gateway)
{
	struct ncm_err_info err = { 0 };
	struct ncm_device d = { 0 };
	int rc = ncm_store_device_get(ncm_rt_db(), req->params[0], &d, &err);
	int gateway = !rc && d.sub_type && strstr(d.sub_type, "gateway");
	enum MHD_Result ret;

	if (rc == NCM_ERR_NOT_FOUND)
		ret = ncm_reply_error(req, MHD_HTTP_NOT_FOUND, 40410, "device %s not found",
				      req->params[0]);
	else if (rc)
		ret = ncm_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, 50010, "%s", err.msg);
	else if (want_gateway && !gateway)
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "device %s is not a gateway", d.id);
	else if (!want_gateway)
		ret = ncm_reply_error(req, MHD_HTTP_BAD_REQUEST, 40000,
				      "device %s is not a BLE device", d.id);
	else
		ret = ncm_reply_error(req, MHD_HTTP_NOT_IMPLEMENTED, 40000,
				      "gateway %s: nrfcloud-mock does not relay BLE operations to "
				      "gateways", d.id);
	ncm_device_release(&d);
	return ret;
}

enum MHD_Result ncm_rest_ble_scan_post(struct ncm_req *req)
{
	return refuse(req, 1);
}

enum MHD_Result ncm_rest_ble_discover_post(struct ncm_req *req)
{
	return refuse(req, 1);
}

enum MHD_Result ncm_rest_ble_add_peripheral(struct ncm_req *req)
{
	return refuse(req, 1);
}

enum MHD_Result ncm_rest_ble_characteristic(struct ncm_req *req)
{
	return refuse(req, 0);
}
