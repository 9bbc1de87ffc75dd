/* SPDX-License-Identifier: MIT
 * test_mqttsize.c: MQTT 3.1.1 PUBLISH and acknowledgement sizes (core/mqttsize.c), which the
 * data usage counters add up.
 */
#include <check.h>
#include <stdlib.h>

#include "mqttsize.h"

START_TEST(a_qos0_publish_is_header_topic_and_payload)
{
	/* 0x30, remaining 2+3+5 = 10 (one byte), "\0\3abc", 5 bytes */
	ck_assert_uint_eq(ncm_mqtt_publish_wire_len(3, 5, 0), 12);
}
END_TEST

START_TEST(a_qos1_publish_carries_a_packet_identifier)
{
	ck_assert_uint_eq(ncm_mqtt_publish_wire_len(3, 5, 1), 14);
}
END_TEST

START_TEST(the_remaining_length_grows_a_byte_every_seven_bits)
{
	/* remaining 127: one byte; 128: two; 16383: two; 16384: three (MQTT 3.1.1 §2.2.3) */
	ck_assert_uint_eq(ncm_mqtt_publish_wire_len(0, 125, 0), 1 + 1 + 127);
	ck_assert_uint_eq(ncm_mqtt_publish_wire_len(0, 126, 0), 1 + 2 + 128);
	ck_assert_uint_eq(ncm_mqtt_publish_wire_len(0, 16381, 0), 1 + 2 + 16383);
	ck_assert_uint_eq(ncm_mqtt_publish_wire_len(0, 16382, 0), 1 + 3 + 16384);
	ck_assert_uint_eq(ncm_mqtt_publish_wire_len(0, 2097150, 0), 1 + 4 + 2097152);
}
END_TEST

START_TEST(acknowledgements_depend_on_the_qos)
{
	ck_assert_uint_eq(ncm_mqtt_ack_wire_len(0), 0);
	ck_assert_uint_eq(ncm_mqtt_ack_wire_len(1), 4);
	ck_assert_uint_eq(ncm_mqtt_ack_wire_len(2), 12);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqttsize");
	TCase *tc = tcase_create("all");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, a_qos0_publish_is_header_topic_and_payload);
	tcase_add_test(tc, a_qos1_publish_carries_a_packet_identifier);
	tcase_add_test(tc, the_remaining_length_grows_a_byte_every_seven_bits);
	tcase_add_test(tc, acknowledgements_depend_on_the_qos);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
