/* SPDX-License-Identifier: MIT
 * test_fota.c: FOTA vocabulary, state machines, job documents, status arrays, manifests and
 * bundle IDs (core/fota.c).
 */
#include <check.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "fota.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define ID36 "0123456789abcdef0123456789abcdef0123"
#define ID37 ID36 "4"

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(j != NULL, "test JSON %s: %s", text, jerr.text);
	return j;
}

/* --- names --- */

START_TEST(every_firmware_type_name_round_trips)
{
	static const struct {
		enum ncm_fw_type type;
		const char *name;
	} cases[] = {
		{ NCM_FW_APP, "APP" }, { NCM_FW_MODEM, "MODEM" }, { NCM_FW_BOOT, "BOOT" },
		{ NCM_FW_SOFTDEVICE, "SOFTDEVICE" }, { NCM_FW_MDM_FULL, "MDM_FULL" },
		{ NCM_FW_SMP, "SMP" },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		ck_assert_str_eq(ncm_fw_type_name(cases[i].type), cases[i].name);
		ck_assert_int_eq(ncm_fw_type_parse(cases[i].name), cases[i].type);
	}
	ck_assert_int_eq(ncm_fw_type_parse("BOOTLOADER"), NCM_FW_BOOT);
	ck_assert_str_eq(ncm_fw_type_name(ncm_fw_type_parse("BOOTLOADER")), "BOOT");
}
END_TEST

START_TEST(unknown_firmware_types_have_no_name_and_do_not_parse)
{
	static const char *const bad[] = { "app", "Boot", "", "CUSTOM", "APP ", "BLE_BOOT" };
	static const int bad_numbers[] = { 3, 7, -1, 100 };
	size_t i;

	for (i = 0; i < COUNT(bad); i++)
		ck_assert_msg(ncm_fw_type_parse(bad[i]) == NCM_FW_INVALID, "'%s'", bad[i]);
	ck_assert_int_eq(ncm_fw_type_parse(NULL), NCM_FW_INVALID);
	for (i = 0; i < COUNT(bad_numbers); i++)
		ck_assert_ptr_null(ncm_fw_type_name((enum ncm_fw_type)bad_numbers[i]));
}
END_TEST

START_TEST(every_execution_status_name_round_trips)
{
	static const char *const names[] = {
		"QUEUED", "IN_PROGRESS", "FAILED", "SUCCEEDED",
		"TIMED_OUT", "CANCELLED", "REJECTED", "DOWNLOADING",
	};
	size_t i;

	for (i = 0; i < COUNT(names); i++) {
		ck_assert_str_eq(ncm_exec_status_name((enum ncm_exec_status)i), names[i]);
		ck_assert_int_eq(ncm_exec_status_parse(names[i]), (int)i);
	}
	ck_assert_int_eq(ncm_exec_status_parse("CANCELED"), NCM_EXEC_CANCELLED);
	ck_assert_str_eq(ncm_exec_status_name(ncm_exec_status_parse("CANCELED")), "CANCELLED");
}
END_TEST

START_TEST(unknown_execution_statuses_have_no_name_and_do_not_parse)
{
	static const char *const bad[] = { "queued", "Succeeded", "", "FMFU_VALIDATION_NEEDED",
					   "REMOVED", "7", "CANCELLLED" };
	static const int bad_numbers[] = { 8, 9, -1, -2 };
	size_t i;

	for (i = 0; i < COUNT(bad); i++)
		ck_assert_msg(ncm_exec_status_parse(bad[i]) == NCM_EXEC_INVALID, "'%s'", bad[i]);
	ck_assert_int_eq(ncm_exec_status_parse(NULL), NCM_EXEC_INVALID);
	for (i = 0; i < COUNT(bad_numbers); i++)
		ck_assert_ptr_null(ncm_exec_status_name((enum ncm_exec_status)bad_numbers[i]));
}
END_TEST

START_TEST(terminal_statuses_are_failed_succeeded_timed_out_cancelled_and_rejected)
{
	/* Indexed by status number (docs/fota.md#terminal-statuses: 2/3/4/5/6 are terminal). */
	static const int want[] = { 0, 0, 1, 1, 1, 1, 1, 0 };
	size_t i;

	for (i = 0; i < COUNT(want); i++)
		ck_assert_msg(ncm_exec_status_terminal((enum ncm_exec_status)i) == want[i], "%s",
			      ncm_exec_status_name((enum ncm_exec_status)i));
	ck_assert_int_eq(ncm_exec_status_terminal(NCM_EXEC_INVALID), 0);
	ck_assert_int_eq(ncm_exec_status_terminal((enum ncm_exec_status)8), 0);
}
END_TEST

START_TEST(every_job_status_has_its_rest_name)
{
	ck_assert_str_eq(ncm_job_status_name(NCM_JOB_CREATED), "CREATED");
	ck_assert_str_eq(ncm_job_status_name(NCM_JOB_IN_PROGRESS), "IN_PROGRESS");
	ck_assert_str_eq(ncm_job_status_name(NCM_JOB_COMPLETED), "COMPLETED");
	ck_assert_str_eq(ncm_job_status_name(NCM_JOB_CANCELLED), "CANCELLED");
	ck_assert_str_eq(ncm_job_status_name(NCM_JOB_DELETION_IN_PROGRESS), "DELETION_IN_PROGRESS");
	ck_assert_ptr_null(ncm_job_status_name((enum ncm_job_status)5));
	ck_assert_ptr_null(ncm_job_status_name((enum ncm_job_status)-1));
}
END_TEST

/* --- execution transitions --- */

START_TEST(transition_matrix_matches_the_expected_table)
{
	/* want[from][to]; columns Q IP F S TO C R D. */
	static const int want[8][8] = {
		/* QUEUED      */ { 0, 1, 1, 1, 1, 1, 1, 1 },
		/* IN_PROGRESS */ { 0, 1, 1, 1, 1, 1, 1, 1 },
		/* FAILED      */ { 0, 0, 0, 0, 0, 0, 0, 0 },
		/* SUCCEEDED   */ { 0, 0, 0, 0, 0, 0, 0, 0 },
		/* TIMED_OUT   */ { 0, 0, 0, 0, 0, 0, 0, 0 },
		/* CANCELLED   */ { 0, 0, 0, 0, 0, 0, 0, 0 },
		/* REJECTED    */ { 0, 0, 0, 0, 0, 0, 0, 0 },
		/* DOWNLOADING */ { 0, 1, 1, 1, 1, 1, 1, 1 },
	};
	struct ncm_err_info err;
	int from, to, rc;

	for (from = 0; from < 8; from++) {
		for (to = 0; to < 8; to++) {
			err.msg[0] = '\0';
			rc = ncm_exec_transition((enum ncm_exec_status)from,
						 (enum ncm_exec_status)to, &err);
			ck_assert_msg(rc == (want[from][to] ? NCM_OK : NCM_ERR_CONFLICT),
				      "%s -> %s: rc %d (%s)",
				      ncm_exec_status_name((enum ncm_exec_status)from),
				      ncm_exec_status_name((enum ncm_exec_status)to), rc, err.msg);
			if (rc) {
				ck_assert_int_eq(err.code, NCM_ERR_CONFLICT);
				ck_assert_msg(strstr(err.msg, ncm_exec_status_name(
							  (enum ncm_exec_status)from)) &&
					      strstr(err.msg, ncm_exec_status_name(
							  (enum ncm_exec_status)to)),
					      "message names both states: %s", err.msg);
			}
		}
	}
	/* NULL err is allowed. */
	ck_assert_int_eq(ncm_exec_transition(NCM_EXEC_SUCCEEDED, NCM_EXEC_FAILED, NULL),
			 NCM_ERR_CONFLICT);
}
END_TEST

START_TEST(refused_transitions_say_why)
{
	struct ncm_err_info err;

	ck_assert_int_eq(ncm_exec_transition(NCM_EXEC_SUCCEEDED, NCM_EXEC_IN_PROGRESS, &err),
			 NCM_ERR_CONFLICT);
	ck_assert_str_eq(err.msg, "execution is already SUCCEEDED; cannot become IN_PROGRESS");
	ck_assert_int_eq(ncm_exec_transition(NCM_EXEC_CANCELLED, NCM_EXEC_CANCELLED, &err),
			 NCM_ERR_CONFLICT);
	ck_assert_str_eq(err.msg, "execution is already CANCELLED; cannot become CANCELLED");
	ck_assert_int_eq(ncm_exec_transition(NCM_EXEC_DOWNLOADING, NCM_EXEC_QUEUED, &err),
			 NCM_ERR_CONFLICT);
	ck_assert_str_eq(err.msg, "execution is DOWNLOADING; QUEUED is not a status a device reports");
	ck_assert_int_eq(ncm_exec_transition(NCM_EXEC_QUEUED, NCM_EXEC_QUEUED, &err),
			 NCM_ERR_CONFLICT);
	ck_assert_ptr_nonnull(strstr(err.msg, "QUEUED is not a status a device reports"));
}
END_TEST

START_TEST(out_of_range_statuses_are_invalid_transitions)
{
	struct ncm_err_info err;

	ck_assert_int_eq(ncm_exec_transition(NCM_EXEC_QUEUED, (enum ncm_exec_status)8, &err),
			 NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "status 8 is not a FOTA status");
	ck_assert_int_eq(ncm_exec_transition(NCM_EXEC_INVALID, NCM_EXEC_FAILED, &err),
			 NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "status -1 is not a FOTA status");
}
END_TEST

/* --- job status --- */

START_TEST(job_status_next_follows_each_case)
{
	static const struct {
		enum ncm_job_status current;
		int applied;
		size_t n, terminal;
		enum ncm_job_status want;
	} cases[] = {
		/* CANCELLED and DELETION_IN_PROGRESS stay, whatever the executions say. */
		{ NCM_JOB_CANCELLED, 1, 3, 3, NCM_JOB_CANCELLED },
		{ NCM_JOB_CANCELLED, 1, 3, 0, NCM_JOB_CANCELLED },
		{ NCM_JOB_CANCELLED, 0, 0, 0, NCM_JOB_CANCELLED },
		{ NCM_JOB_DELETION_IN_PROGRESS, 1, 2, 2, NCM_JOB_DELETION_IN_PROGRESS },
		{ NCM_JOB_DELETION_IN_PROGRESS, 0, 2, 0, NCM_JOB_DELETION_IN_PROGRESS },
		/* CREATED waits for apply. */
		{ NCM_JOB_CREATED, 0, 0, 0, NCM_JOB_CREATED },
		{ NCM_JOB_CREATED, 0, 2, 0, NCM_JOB_CREATED },
		{ NCM_JOB_CREATED, 0, 2, 2, NCM_JOB_CREATED },
		/* Applied: IN_PROGRESS until every execution is terminal. */
		{ NCM_JOB_CREATED, 1, 2, 0, NCM_JOB_IN_PROGRESS },
		{ NCM_JOB_CREATED, 1, 0, 0, NCM_JOB_IN_PROGRESS },
		{ NCM_JOB_CREATED, 1, 2, 2, NCM_JOB_COMPLETED },
		{ NCM_JOB_IN_PROGRESS, 1, 3, 2, NCM_JOB_IN_PROGRESS },
		{ NCM_JOB_IN_PROGRESS, 0, 3, 2, NCM_JOB_IN_PROGRESS },
		{ NCM_JOB_IN_PROGRESS, 1, 3, 3, NCM_JOB_COMPLETED },
		{ NCM_JOB_IN_PROGRESS, 1, 1, 1, NCM_JOB_COMPLETED },
		/* No executions is never COMPLETED. */
		{ NCM_JOB_IN_PROGRESS, 1, 0, 0, NCM_JOB_IN_PROGRESS },
		/* A new target device reopens a completed job. */
		{ NCM_JOB_COMPLETED, 1, 4, 3, NCM_JOB_IN_PROGRESS },
		{ NCM_JOB_COMPLETED, 1, 4, 4, NCM_JOB_COMPLETED },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++)
		ck_assert_msg(ncm_job_status_next(cases[i].current, cases[i].applied, cases[i].n,
						  cases[i].terminal) == cases[i].want,
			      "case %zu: %s applied=%d %zu/%zu", i,
			      ncm_job_status_name(cases[i].current), cases[i].applied,
			      cases[i].terminal, cases[i].n);
}
END_TEST

/* --- status arrays --- */

struct status_case {
	const char *json;
	enum ncm_exec_status status;
	int progress;
	const char *detail; /* NULL: none */
};

static void check_status_cases(const struct status_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *root = load(cases[i].json);
		struct ncm_err_info err = { 0 };
		const char *id = NULL, *detail = "unset";
		enum ncm_exec_status st = NCM_EXEC_INVALID;
		int progress = -2, rc;

		rc = ncm_fota_status_array_parse(root, &id, &st, &progress, &detail, &err);
		ck_assert_msg(rc == NCM_OK, "%s: %s", cases[i].json, err.msg);
		ck_assert_str_eq(id, "id");
		ck_assert_msg(st == cases[i].status, "%s: status %d", cases[i].json, st);
		ck_assert_msg(progress == cases[i].progress, "%s: progress %d", cases[i].json,
			      progress);
		if (cases[i].detail)
			ck_assert_msg(detail && !strcmp(detail, cases[i].detail), "%s: detail '%s'",
				      cases[i].json, detail ? detail : "(null)");
		else
			ck_assert_msg(detail == NULL, "%s: detail '%s'", cases[i].json, detail);
		json_decref(root);
	}
}

START_TEST(every_status_array_of_the_typical_sequence_parses)
{
	/* docs/fota.md#status-updates typical sequence and error reports. */
	static const struct status_case cases[] = {
		{ "[\"id\",7,0]", NCM_EXEC_DOWNLOADING, 0, NULL },
		{ "[\"id\",7,40]", NCM_EXEC_DOWNLOADING, 40, NULL },
		{ "[\"id\",7,100]", NCM_EXEC_DOWNLOADING, 100, NULL },
		{ "[\"id\",1,\"\"]", NCM_EXEC_IN_PROGRESS, -1, "" },
		{ "[\"id\",3,\"\"]", NCM_EXEC_SUCCEEDED, -1, "" },
		{ "[\"id\",3,\"FOTA update not validated\"]", NCM_EXEC_SUCCEEDED, -1,
		  "FOTA update not validated" },
		{ "[\"id\",2,\"Error during download\"]", NCM_EXEC_FAILED, -1,
		  "Error during download" },
		{ "[\"id\",2,\"FW file does not match specified FOTA type\"]", NCM_EXEC_FAILED, -1,
		  "FW file does not match specified FOTA type" },
		{ "[\"id\",6,\"\"]", NCM_EXEC_REJECTED, -1, "" },
		{ "[\"id\",6,\"Job info is invalid\"]", NCM_EXEC_REJECTED, -1, "Job info is invalid" },
	};

	check_status_cases(cases, COUNT(cases));
}
END_TEST

START_TEST(string_statuses_and_simulator_string_progress_parse)
{
	static const struct status_case cases[] = {
		{ "[\"id\",\"SUCCEEDED\",\"\"]", NCM_EXEC_SUCCEEDED, -1, "" },
		{ "[\"id\",\"CANCELLED\",\"\"]", NCM_EXEC_CANCELLED, -1, "" },
		{ "[\"id\",\"CANCELED\",\"stop\"]", NCM_EXEC_CANCELLED, -1, "stop" },
		{ "[\"id\",\"DOWNLOADING\",55]", NCM_EXEC_DOWNLOADING, 55, NULL },
		{ "[\"id\",\"DOWNLOADING\",\"55\"]", NCM_EXEC_DOWNLOADING, 55, NULL },
		{ "[\"id\",7,\"40\"]", NCM_EXEC_DOWNLOADING, 40, NULL },
		{ "[\"id\",7,\"0\"]", NCM_EXEC_DOWNLOADING, 0, NULL },
		{ "[\"id\",7,\"100\"]", NCM_EXEC_DOWNLOADING, 100, NULL },
		/* SIM always sends a string; a non-numeric one is detail, not progress. */
		{ "[\"id\",7,\"\"]", NCM_EXEC_DOWNLOADING, -1, "" },
		{ "[\"id\",7,\"downloading\"]", NCM_EXEC_DOWNLOADING, -1, "downloading" },
		/* Whole reals are what a double-based encoder may send. */
		{ "[\"id\",7,40.0]", NCM_EXEC_DOWNLOADING, 40, NULL },
	};

	check_status_cases(cases, COUNT(cases));
}
END_TEST

START_TEST(absent_or_null_detail_and_stray_numbers_are_tolerated)
{
	static const struct status_case cases[] = {
		{ "[\"id\",3]", NCM_EXEC_SUCCEEDED, -1, NULL },
		{ "[\"id\",3,null]", NCM_EXEC_SUCCEEDED, -1, NULL },
		{ "[\"id\",7]", NCM_EXEC_DOWNLOADING, -1, NULL },
		{ "[\"id\",7,null]", NCM_EXEC_DOWNLOADING, -1, NULL },
		{ "[\"id\",1,50]", NCM_EXEC_IN_PROGRESS, -1, NULL },
		{ "[\"id\",3,0]", NCM_EXEC_SUCCEEDED, -1, NULL },
		{ "[\"id\",2,1.5]", NCM_EXEC_FAILED, -1, NULL },
		{ "[\"id\",0,\"\"]", NCM_EXEC_QUEUED, -1, "" },
	};

	check_status_cases(cases, COUNT(cases));
}
END_TEST

START_TEST(malformed_status_arrays_are_refused_with_precise_messages)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
		{ "{\"id\":3}", "status array must be [jobId, status, detail]" },
		{ "\"id\"", "status array must be [jobId, status, detail]" },
		{ "[]", "status array must be [jobId, status, detail]" },
		{ "[\"id\"]", "status array must be [jobId, status, detail]" },
		{ "[\"id\",3,\"\",\"x\"]", "status array must be [jobId, status, detail]" },
		{ "[\"\",3,\"\"]", "job ID must be a string of 1 to 36 characters" },
		{ "[\"" ID37 "\",3,\"\"]", "job ID must be a string of 1 to 36 characters" },
		{ "[42,3,\"\"]", "job ID must be a string of 1 to 36 characters" },
		{ "[null,3,\"\"]", "job ID must be a string of 1 to 36 characters" },
		{ "[\"id\",9,\"\"]", "status 9 is not a FOTA status" },
		{ "[\"id\",-1,\"\"]", "status -1 is not a FOTA status" },
		{ "[\"id\",8,\"\"]", "status 8 (FMFU_VALIDATION_NEEDED) is internal to the device" },
		{ "[\"id\",\"DONE\",\"\"]", "status 'DONE' is not a FOTA status" },
		{ "[\"id\",\"3\",\"\"]", "status '3' is not a FOTA status" },
		{ "[\"id\",3.0,\"\"]", "status must be an integer 0..7 or a status name" },
		{ "[\"id\",null,\"\"]", "status must be an integer 0..7 or a status name" },
		{ "[\"id\",true,\"\"]", "status must be an integer 0..7 or a status name" },
		{ "[\"id\",7,101]", "DOWNLOADING progress must be 0..100, not 101" },
		{ "[\"id\",7,-1]", "DOWNLOADING progress must be 0..100, not -1" },
		{ "[\"id\",7,\"140\"]", "DOWNLOADING progress must be 0..100, not '140'" },
		{ "[\"id\",7,\"-5\"]", "DOWNLOADING progress must be 0..100, not '-5'" },
		{ "[\"id\",7,\"99999999999999999999\"]", "DOWNLOADING progress must be 0..100" },
		{ "[\"id\",7,40.5]", "DOWNLOADING progress must be 0..100, not 40.5" },
		{ "[\"id\",7,{}]", "DOWNLOADING progress must be 0..100" },
		{ "[\"id\",7,true]", "DOWNLOADING progress must be 0..100" },
		{ "[\"id\",3,{}]", "status detail must be a string" },
		{ "[\"id\",2,[\"x\"]]", "status detail must be a string" },
		{ "[\"id\",2,false]", "status detail must be a string" },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		json_t *root = load(cases[i].json);
		struct ncm_err_info err = { 0 };
		const char *id = "unset", *detail = "unset";
		enum ncm_exec_status st = NCM_EXEC_QUEUED;
		int progress = -2, rc;

		rc = ncm_fota_status_array_parse(root, &id, &st, &progress, &detail, &err);
		ck_assert_msg(rc == NCM_ERR_INVAL, "%s: rc %d", cases[i].json, rc);
		ck_assert_int_eq(err.code, NCM_ERR_INVAL);
		ck_assert_msg(!strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)),
			      "%s: '%s', want '%s'", cases[i].json, err.msg, cases[i].msg);
		/* Outputs are left alone on failure. */
		ck_assert_str_eq(id, "unset");
		ck_assert_str_eq(detail, "unset");
		ck_assert_int_eq(st, NCM_EXEC_QUEUED);
		ck_assert_int_eq(progress, -2);
		json_decref(root);
	}
	ck_assert_int_eq(ncm_fota_status_array_parse(NULL, NULL, NULL, NULL, NULL, NULL),
			 NCM_ERR_INVAL);
}
END_TEST

START_TEST(job_id_of_36_characters_is_accepted_and_outputs_may_be_null)
{
	json_t *root = load("[\"" ID36 "\",\"DOWNLOADING\",\"70\"]");
	const char *id = NULL;
	int progress = -2;

	ck_assert_int_eq(ncm_fota_status_array_parse(root, &id, NULL, &progress, NULL, NULL),
			 NCM_OK);
	ck_assert_str_eq(id, ID36);
	ck_assert_int_eq(progress, 70);
	ck_assert_int_eq(ncm_fota_status_array_parse(root, NULL, NULL, NULL, NULL, NULL), NCM_OK);
	json_decref(root);
}
END_TEST

/* --- job document --- */

START_TEST(job_document_is_the_exact_compact_array)
{
	json_t *doc = ncm_fota_job_document("6e5c3bd4-1f2a-4b6e-9d0c-3a2b1c0d9e8f", NCM_FW_APP,
					    123456ULL, "firmware.nrfcloud.com",
					    "team/APP*439ddbc7*v2.0.0/app_update.bin");
	char *text;

	ck_assert_ptr_nonnull(doc);
	text = json_dumps(doc, JSON_COMPACT);
	ck_assert_str_eq(text, "[\"6e5c3bd4-1f2a-4b6e-9d0c-3a2b1c0d9e8f\",0,123456,"
			       "\"firmware.nrfcloud.com\",\"team/APP*439ddbc7*v2.0.0/app_update.bin\"]");
	free(text);
	json_decref(doc);

	doc = ncm_fota_job_document("abcd1234", NCM_FW_MDM_FULL, 0, "h", "p");
	text = json_dumps(doc, JSON_COMPACT);
	ck_assert_str_eq(text, "[\"abcd1234\",5,0,\"h\",\"p\"]");
	free(text);
	json_decref(doc);

	doc = ncm_fota_job_document("x", NCM_FW_SMP, 5000000000ULL, "h", "a b.bin");
	ck_assert(json_is_integer(json_array_get(doc, 1)));
	ck_assert(json_is_integer(json_array_get(doc, 2)));
	ck_assert_int_eq(json_integer_value(json_array_get(doc, 1)), 6);
	ck_assert_int_eq(json_integer_value(json_array_get(doc, 2)), 5000000000LL);
	json_decref(doc);
}
END_TEST

START_TEST(job_document_refuses_unknown_types_null_strings_and_huge_sizes)
{
	ck_assert_ptr_null(ncm_fota_job_document("x", NCM_FW_INVALID, 1, "h", "p"));
	ck_assert_ptr_null(ncm_fota_job_document("x", (enum ncm_fw_type)3, 1, "h", "p"));
	ck_assert_ptr_null(ncm_fota_job_document(NULL, NCM_FW_APP, 1, "h", "p"));
	ck_assert_ptr_null(ncm_fota_job_document("x", NCM_FW_APP, 1, NULL, "p"));
	ck_assert_ptr_null(ncm_fota_job_document("x", NCM_FW_APP, 1, "h", NULL));
	ck_assert_ptr_null(ncm_fota_job_document("x", NCM_FW_APP, ~0ULL, "h", "p"));
}
END_TEST

/* --- manifest --- */

START_TEST(valid_manifests_are_accepted)
{
	static const struct {
		const char *json;
		enum ncm_fw_type type;
		size_t n_files;
		const char *first;
		unsigned long long first_size;
	} cases[] = {
		{ "{\"name\":\"My app\",\"description\":\"d\",\"fwversion\":\"v2.0.0\","
		  "\"format-version\":1,\"files\":[{\"file\":\"app_update.bin\","
		  "\"type\":\"application\",\"size\":181000}]}",
		  NCM_FW_APP, 1, "app_update.bin", 181000 },
		{ "{\"fwversion\":\"1.2.3-rc_1\",\"format-version\":1,"
		  "\"files\":[{\"file\":\"signed.bin\",\"type\":\"mcuboot\"}]}",
		  NCM_FW_APP, 1, "signed.bin", 0 },
		{ "{\"fwversion\":\"b1\",\"format-version\":1,\"files\":["
		  "{\"file\":\"s0.bin\",\"type\":\"bootloader\",\"size\":0},"
		  "{\"file\":\"s1.bin\",\"type\":\"bootloader\",\"size\":10}]}",
		  NCM_FW_BOOT, 2, "s0.bin", 0 },
		{ "{\"fwversion\":\"7.2.0\",\"format-version\":1,\"files\":["
		  "{\"file\":\"dat.bin\",\"type\":\"init_packet\",\"size\":141},"
		  "{\"file\":\"sd.bin\",\"type\":\"softdevice\",\"size\":152000}]}",
		  NCM_FW_SOFTDEVICE, 2, "dat.bin", 141 },
		{ "{\"fwversion\":\"1\",\"format-version\":1,\"extra\":true,\"name\":null,"
		  "\"files\":[{\"file\":\"a.bin\",\"type\":\"application\"},"
		  "{\"file\":\"b.bin\",\"type\":\"mcuboot\"}]}",
		  NCM_FW_APP, 2, "a.bin", 0 },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		json_t *root = load(cases[i].json);
		struct ncm_manifest m;
		struct ncm_err_info err = { 0 };

		ck_assert_msg(ncm_fota_manifest_parse(root, &m, &err) == NCM_OK, "%s: %s",
			      cases[i].json, err.msg);
		ck_assert_int_eq(m.type, cases[i].type);
		ck_assert_uint_eq(m.n_files, cases[i].n_files);
		ck_assert_str_eq(m.files[0], cases[i].first);
		ck_assert_uint_eq(m.sizes[0], cases[i].first_size);
		ck_assert_str_eq(m.version, json_string_value(json_object_get(root, "fwversion")));
		json_decref(root);
	}
}
END_TEST

START_TEST(manifest_fields_are_borrowed_from_the_root)
{
	json_t *root = load("{\"name\":\"n\",\"description\":\"d\",\"fwversion\":\"v1\","
			    "\"format-version\":1,\"files\":[{\"file\":\"x.bin\","
			    "\"type\":\"application\",\"size\":5}]}");
	struct ncm_manifest m;

	ck_assert_int_eq(ncm_fota_manifest_parse(root, &m, NULL), NCM_OK);
	ck_assert_ptr_eq(m.name, json_string_value(json_object_get(root, "name")));
	ck_assert_ptr_eq(m.description, json_string_value(json_object_get(root, "description")));
	ck_assert_str_eq(m.version, "v1");
	ck_assert_uint_eq(m.sizes[0], 5);
	json_decref(root);

	root = load("{\"fwversion\":\"v1\",\"format-version\":1,"
		    "\"files\":[{\"file\":\"x.bin\",\"type\":\"application\"}]}");
	ck_assert_int_eq(ncm_fota_manifest_parse(root, &m, NULL), NCM_OK);
	ck_assert_ptr_null(m.name);
	ck_assert_ptr_null(m.description);
	json_decref(root);
}
END_TEST

#define MF(files) "{\"fwversion\":\"v1\",\"format-version\":1,\"files\":" files "}"
#define APPF(name) "{\"file\":\"" name "\",\"type\":\"application\"}"

START_TEST(invalid_manifests_are_refused_with_precise_messages)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
		{ "[]", "manifest must be a JSON object" },
		{ "{\"name\":5,\"fwversion\":\"v1\",\"format-version\":1,\"files\":[" APPF("a.bin") "]}",
		  "manifest name must be a string" },
		{ "{\"description\":[],\"fwversion\":\"v1\",\"format-version\":1,"
		  "\"files\":[" APPF("a.bin") "]}",
		  "manifest description must be a string" },
		{ "{\"format-version\":1,\"files\":[" APPF("a.bin") "]}",
		  "manifest fwversion missing or invalid" },
		{ "{\"fwversion\":\"\",\"format-version\":1,\"files\":[" APPF("a.bin") "]}",
		  "manifest fwversion missing or invalid" },
		{ "{\"fwversion\":\"v 1\",\"format-version\":1,\"files\":[" APPF("a.bin") "]}",
		  "manifest fwversion missing or invalid" },
		{ "{\"fwversion\":\"v1/2\",\"format-version\":1,\"files\":[" APPF("a.bin") "]}",
		  "manifest fwversion missing or invalid" },
		{ "{\"fwversion\":\"0123456789012345678901234567890123456789012345678901234567890\","
		  "\"format-version\":1,\"files\":[" APPF("a.bin") "]}",
		  "manifest fwversion missing or invalid" },
		{ "{\"fwversion\":2,\"format-version\":1,\"files\":[" APPF("a.bin") "]}",
		  "manifest fwversion missing or invalid" },
		{ "{\"fwversion\":\"v1\",\"files\":[" APPF("a.bin") "]}", "format-version must be 1" },
		{ "{\"fwversion\":\"v1\",\"format-version\":0,\"files\":[" APPF("a.bin") "]}",
		  "format-version must be 1" },
		{ "{\"fwversion\":\"v1\",\"format-version\":\"1\",\"files\":[" APPF("a.bin") "]}",
		  "format-version must be 1" },
		{ "{\"fwversion\":\"v1\",\"format-version\":1}", "manifest has no files" },
		{ MF("[]"), "manifest has no files" },
		{ MF("{}"), "manifest has no files" },
		{ MF("[\"a.bin\"]"), "manifest files[0] must be an object" },
		{ MF("[{\"type\":\"application\"}]"), "manifest files[0] has no \"file\" name" },
		{ MF("[" APPF("a.bin") ",{\"file\":7,\"type\":\"application\"}]"),
		  "manifest files[1] has no \"file\" name" },
		{ MF("[" APPF("app.hex") "]"), "manifest file 'app.hex' must be a .bin" },
		{ MF("[" APPF("app.bin.zip") "]"), "manifest file 'app.bin.zip' must be a .bin" },
		{ MF("[" APPF(".bin") "]"), "manifest file '.bin' must be a .bin" },
		{ MF("[" APPF("") "]"), "manifest file '' must be a .bin" },
		{ MF("[" APPF("dir/a.bin") "]"),
		  "manifest file 'dir/a.bin' must be a plain file name (no '/' or '..')" },
		{ MF("[" APPF("/a.bin") "]"),
		  "manifest file '/a.bin' must be a plain file name (no '/' or '..')" },
		{ MF("[" APPF("..a.bin") "]"),
		  "manifest file '..a.bin' must be a plain file name (no '/' or '..')" },
		{ MF("[" APPF("a..bin") "]"),
		  "manifest file 'a..bin' must be a plain file name (no '/' or '..')" },
		{ MF("[" APPF("a.bin") "," APPF("a.bin") "]"), "manifest lists file 'a.bin' twice" },
		{ MF("[{\"file\":\"a.bin\"}]"), "manifest file 'a.bin' has no type" },
		{ MF("[{\"file\":\"a.bin\",\"type\":\"modem\"}]"), "unknown file type 'modem'" },
		{ MF("[{\"file\":\"a.bin\",\"type\":\"APPLICATION\"}]"),
		  "unknown file type 'APPLICATION'" },
		{ MF("[{\"file\":\"a.bin\",\"type\":\"application\",\"size\":-1}]"),
		  "manifest file 'a.bin' size must be a non-negative integer" },
		{ MF("[{\"file\":\"a.bin\",\"type\":\"application\",\"size\":\"10\"}]"),
		  "manifest file 'a.bin' size must be a non-negative integer" },
		{ MF("[{\"file\":\"a.bin\",\"type\":\"application\",\"size\":1.5}]"),
		  "manifest file 'a.bin' size must be a non-negative integer" },
		{ MF("[{\"file\":\"a.bin\",\"type\":\"application\",\"size\":null}]"),
		  "manifest file 'a.bin' size must be a non-negative integer" },
		{ MF("[{\"file\":\"a.bin\",\"type\":\"init_packet\"}]"),
		  "manifest has no firmware file (only init_packet)" },
		{ MF("[" APPF("a.bin") ",{\"file\":\"b.bin\",\"type\":\"bootloader\"}]"),
		  "manifest mixes file types 'application' and 'bootloader'" },
		{ MF("[{\"file\":\"s.bin\",\"type\":\"softdevice\"},"
		     "{\"file\":\"m.bin\",\"type\":\"mcuboot\"}]"),
		  "manifest mixes file types 'softdevice' and 'mcuboot'" },
	};
	size_t i;

	for (i = 0; i < COUNT(cases); i++) {
		json_t *root = load(cases[i].json);
		struct ncm_manifest m;
		struct ncm_err_info err = { 0 };

		memset(&m, 0x5a, sizeof(m));
		ck_assert_msg(ncm_fota_manifest_parse(root, &m, &err) == NCM_ERR_INVAL, "%s",
			      cases[i].json);
		ck_assert_int_eq(err.code, NCM_ERR_INVAL);
		ck_assert_msg(!strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)),
			      "%s: '%s', want '%s'", cases[i].json, err.msg, cases[i].msg);
		ck_assert_uint_eq(m.n_files, 0x5a5a5a5a5a5a5a5aULL);
		json_decref(root);
	}
	ck_assert_int_eq(ncm_fota_manifest_parse(NULL, NULL, NULL), NCM_ERR_INVAL);
}
END_TEST

START_TEST(manifest_with_eight_files_is_accepted_and_nine_refused)
{
	const char *eight = MF("[" APPF("1.bin") "," APPF("2.bin") "," APPF("3.bin") ","
			       APPF("4.bin") "," APPF("5.bin") "," APPF("6.bin") ","
			       APPF("7.bin") "," APPF("8.bin") "]");
	const char *nine = MF("[" APPF("1.bin") "," APPF("2.bin") "," APPF("3.bin") ","
			      APPF("4.bin") "," APPF("5.bin") "," APPF("6.bin") ","
			      APPF("7.bin") "," APPF("8.bin") "," APPF("9.bin") "]");
	struct ncm_err_info err = { 0 };
	struct ncm_manifest m;
	json_t *root;

	root = load(eight);
	ck_assert_int_eq(ncm_fota_manifest_parse(root, &m, &err), NCM_OK);
	ck_assert_uint_eq(m.n_files, 8);
	ck_assert_str_eq(m.files[7], "8.bin");
	json_decref(root);

	root = load(nine);
	ck_assert_int_eq(ncm_fota_manifest_parse(root, &m, &err), NCM_ERR_INVAL);
	ck_assert_str_eq(err.msg, "manifest has 9 files; at most 8 allowed");
	json_decref(root);
}
END_TEST

/* --- bundle ID --- */

START_TEST(bundle_id_has_nrf_cloud_form_for_every_type)
{
	static const enum ncm_fw_type types[] = { NCM_FW_APP, NCM_FW_MODEM, NCM_FW_BOOT,
						  NCM_FW_SOFTDEVICE, NCM_FW_MDM_FULL, NCM_FW_SMP,
						  NCM_FW_INVALID };
	static const unsigned char rnds[][4] = { { 0x43, 0x9d, 0xdb, 0xc7 },
						 { 0x00, 0x00, 0x00, 0x00 },
						 { 0xff, 0xff, 0xff, 0xff } };
	regex_t re;
	char out[96];
	size_t i, j;

	/* docs/fota.md#firmware-bundles bundleId pattern. */
	ck_assert_int_eq(regcomp(&re, "^(APP|MODEM|BOOT|SOFTDEVICE|BOOTLOADER|MDM_FULL|SMP|CUSTOM)"
				      "\\*[0-9a-zA-Z]{8}\\*.*$", REG_EXTENDED | REG_NOSUB), 0);
	for (i = 0; i < COUNT(types); i++) {
		for (j = 0; j < COUNT(rnds); j++) {
			ncm_fota_bundle_id(types[i], rnds[j], "v2.0.0", out, sizeof(out));
			ck_assert_msg(regexec(&re, out, 0, NULL, 0) == 0, "'%s'", out);
		}
	}
	regfree(&re);

	ncm_fota_bundle_id(NCM_FW_APP, rnds[0], "v2.0.0", out, sizeof(out));
	ck_assert_str_eq(out, "APP*439ddbc7*v2.0.0");
	ncm_fota_bundle_id(NCM_FW_BOOT, rnds[2], "1.0", out, sizeof(out));
	ck_assert_str_eq(out, "BOOT*ffffffff*1.0");
	ncm_fota_bundle_id(NCM_FW_SOFTDEVICE, rnds[1], "", out, sizeof(out));
	ck_assert_str_eq(out, "SOFTDEVICE*00000000*");
	ncm_fota_bundle_id(NCM_FW_INVALID, rnds[0], NULL, out, sizeof(out));
	ck_assert_str_eq(out, "CUSTOM*439ddbc7*");
}
END_TEST

START_TEST(bundle_id_truncates_safely)
{
	static const unsigned char rnd[4] = { 0x43, 0x9d, 0xdb, 0xc7 };
	char version[61], out[96], small[8];

	/* The longest manifest version fits the documented 96 bytes. */
	memset(version, '9', 60);
	version[60] = '\0';
	ncm_fota_bundle_id(NCM_FW_SOFTDEVICE, rnd, version, out, sizeof(out));
	ck_assert_uint_eq(strlen(out), strlen("SOFTDEVICE*439ddbc7*") + 60);

	memset(small, 'z', sizeof(small));
	ncm_fota_bundle_id(NCM_FW_APP, rnd, "v2.0.0", small, sizeof(small));
	ck_assert_str_eq(small, "APP*439");
	ncm_fota_bundle_id(NCM_FW_APP, rnd, "v2.0.0", small, 1);
	ck_assert_str_eq(small, "");
	small[0] = 'z';
	ncm_fota_bundle_id(NCM_FW_APP, rnd, "v2.0.0", small, 0);
	ck_assert_int_eq(small[0], 'z');
	ncm_fota_bundle_id(NCM_FW_APP, rnd, "v2.0.0", NULL, 0);
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

#define ADD(s, fn) add(s, #fn, fn)

static Suite *fota_suite(void)
{
	Suite *s = suite_create("fota");

	ADD(s, every_firmware_type_name_round_trips);
	ADD(s, unknown_firmware_types_have_no_name_and_do_not_parse);
	ADD(s, every_execution_status_name_round_trips);
	ADD(s, unknown_execution_statuses_have_no_name_and_do_not_parse);
	ADD(s, terminal_statuses_are_failed_succeeded_timed_out_cancelled_and_rejected);
	ADD(s, every_job_status_has_its_rest_name);
	ADD(s, transition_matrix_matches_the_expected_table);
	ADD(s, refused_transitions_say_why);
	ADD(s, out_of_range_statuses_are_invalid_transitions);
	ADD(s, job_status_next_follows_each_case);
	ADD(s, every_status_array_of_the_typical_sequence_parses);
	ADD(s, string_statuses_and_simulator_string_progress_parse);
	ADD(s, absent_or_null_detail_and_stray_numbers_are_tolerated);
	ADD(s, malformed_status_arrays_are_refused_with_precise_messages);
	ADD(s, job_id_of_36_characters_is_accepted_and_outputs_may_be_null);
	ADD(s, job_document_is_the_exact_compact_array);
	ADD(s, job_document_refuses_unknown_types_null_strings_and_huge_sizes);
	ADD(s, valid_manifests_are_accepted);
	ADD(s, manifest_fields_are_borrowed_from_the_root);
	ADD(s, invalid_manifests_are_refused_with_precise_messages);
	ADD(s, manifest_with_eight_files_is_accepted_and_nine_refused);
	ADD(s, bundle_id_has_nrf_cloud_form_for_every_type);
	ADD(s, bundle_id_truncates_safely);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fota_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
