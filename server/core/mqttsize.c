/* SPDX-License-Identifier: MIT
 * mqttsize.c: MQTT 3.1.1 packet sizes (see mqttsize.h).
 */
#include "mqttsize.h"

uint64_t ncm_mqtt_publish_wire_len(size_t topic_len, size_t payload_len, int qos)
{
	uint64_t remaining = 2 + (uint64_t)topic_len + (qos > 0 ? 2 : 0) + (uint64_t)payload_len;
	uint64_t varint = 1;

	/* the Remaining Length takes 7 bits per byte (MQTT 3.1.1 §2.2.3) */
	for (uint64_t v = remaining; v >= 128; v /= 128)
		varint++;
	return 1 + varint + remaining;
}

uint64_t ncm_mqtt_ack_wire_len(int qos)
{
	return qos == 1 ? 4 : qos == 2 ? 12 : 0;
}
