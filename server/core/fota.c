/* SPDX-License-Identifier: MIT
 * fota.c: FOTA vocabulary, execution and job state machines, MQTT job documents and status
 * arrays, and firmware bundle manifests (see fota.h).
 */
#include "fota.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* nRF Cloud's job ID buffer is NRF_CLOUD_FOTA_JOB_ID_SIZE = 37 including the NUL (
 * docs/fota.md#job-document), so a longer ID never reaches the device's job logic. */
#define JOB_ID_MAX 36
#define FWVERSION_MAX 60
#define MANIFEST_FILES_MAX COUNT(((struct ncm_manifest *)0)->files)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	enum ncm_fw_type type;
	const char *name;
} fw_types[] = {
	{ NCM_FW_APP, "APP" },
	{ NCM_FW_MODEM, "MODEM" },
	{ NCM_FW_BOOT, "BOOT" },
	{ NCM_FW_SOFTDEVICE, "SOFTDEVICE" },
	{ NCM_FW_MDM_FULL, "MDM_FULL" },
	{ NCM_FW_SMP, "SMP" },
};

/* Indexed by the MQTT status number (docs/fota.md#status-updates); 5 is "CANCELLED" with two L's as in the
 * REST body (docs/fota.md#rest-polling-devices). */
static const char *const exec_names[] = {
	"QUEUED", "IN_PROGRESS", "FAILED", "SUCCEEDED",
	"TIMED_OUT", "CANCELLED", "REJECTED", "DOWNLOADING",
};

/* FOTAV2Job.status (docs/fota.md#fota-jobs), indexed by enum ncm_job_status. */
static const char *const job_names[] = {
	"CREATED", "IN_PROGRESS", "COMPLETED", "CANCELLED", "DELETION_IN_PROGRESS",
};

/* Manifest file types (docs/fota.md#firmware-bundles); init_packet rides along but names no firmware. */
static const struct {
	const char *name;
	enum ncm_fw_type type;
} file_types[] = {
	{ "application", NCM_FW_APP },
	{ "mcuboot", NCM_FW_APP },
	{ "bootloader", NCM_FW_BOOT },
	{ "softdevice", NCM_FW_SOFTDEVICE },
	{ "init_packet", NCM_FW_INVALID },
};

const char *ncm_fw_type_name(enum ncm_fw_type t)
{
	size_t i;

	for (i = 0; i < COUNT(fw_types); i++)
		if (fw_types[i].type == t)
			return fw_types[i].name;
	return NULL;
}

enum ncm_fw_type ncm_fw_type_parse(const char *name)
{
	size_t i;

	if (!name)
		return NCM_FW_INVALID;
	/* Bundle IDs may start with "BOOTLOADER" (docs/fota.md#firmware-bundles). */
	if (!strcmp(name, "BOOTLOADER"))
		return NCM_FW_BOOT;
	for (i = 0; i < COUNT(fw_types); i++)
		if (!strcmp(fw_types[i].name, name))
			return fw_types[i].type;
	return NCM_FW_INVALID;
}

static int exec_valid(enum ncm_exec_status s)
{
	return (int)s >= 0 && (size_t)s < COUNT(exec_names);
}

const char *ncm_exec_status_name(enum ncm_exec_status s)
{
	return exec_valid(s) ? exec_names[s] : NULL;
}

enum ncm_exec_status ncm_exec_status_parse(const char *name)
{
	size_t i;

	if (!name)
		return NCM_EXEC_INVALID;
	/* The firmware's enum spells it CANCELED (docs/fota.md#status-updates); accept that spelling too. */
	if (!strcmp(name, "CANCELED"))
		return NCM_EXEC_CANCELLED;
	for (i = 0; i < COUNT(exec_names); i++)
		if (!strcmp(exec_names[i], name))
			return (enum ncm_exec_status)i;
	return NCM_EXEC_INVALID;
}

int ncm_exec_status_terminal(enum ncm_exec_status s)
{
	switch (s) {
	case NCM_EXEC_FAILED:
	case NCM_EXEC_SUCCEEDED:
	case NCM_EXEC_TIMED_OUT:
	case NCM_EXEC_CANCELLED:
	case NCM_EXEC_REJECTED:
		return 1;
	default:
		return 0;
	}
}

int ncm_exec_transition(enum ncm_exec_status from, enum ncm_exec_status to,
			struct ncm_err_info *err)
{
	if (!exec_valid(from))
		return ncm_err_set(err, NCM_ERR_INVAL, "status %d is not a FOTA status", (int)from);
	if (!exec_valid(to))
		return ncm_err_set(err, NCM_ERR_INVAL, "status %d is not a FOTA status", (int)to);
	/* Terminal statuses never change again (docs/fota.md#terminal-statuses), not even to themselves. */
	if (ncm_exec_status_terminal(from))
		return ncm_err_set(err, NCM_ERR_CONFLICT, "execution is already %s; cannot become %s",
				   exec_names[from], exec_names[to]);
	/* Only the cloud queues an execution; a device starts from QUEUED (docs/fota.md#status-updates). */
	if (to == NCM_EXEC_QUEUED)
		return ncm_err_set(err, NCM_ERR_CONFLICT,
				   "execution is %s; QUEUED is not a status a device reports",
				   exec_names[from]);
	/* Everything else is a step forward or, for IN_PROGRESS/DOWNLOADING, a progress repeat. */
	return NCM_OK;
}

const char *ncm_job_status_name(enum ncm_job_status s)
{
	if ((int)s < 0 || (size_t)s >= COUNT(job_names))
		return NULL;
	return job_names[s];
}

enum ncm_job_status ncm_job_status_next(enum ncm_job_status current, int applied,
					size_t n_executions, size_t n_terminal)
{
	if (current == NCM_JOB_CANCELLED || current == NCM_JOB_DELETION_IN_PROGRESS)
		return current;
	/* autoApply false keeps the job CREATED until POST .../apply (docs/fota.md#fota-jobs). */
	if (current == NCM_JOB_CREATED && !applied)
		return NCM_JOB_CREATED;
	if (n_executions > 0 && n_terminal >= n_executions)
		return NCM_JOB_COMPLETED;
	return NCM_JOB_IN_PROGRESS;
}

/* Parses an optionally signed decimal integer filling the whole string; 0 when s is not one. */
static int parse_decimal(const char *s, long *out)
{
	long v = 0;
	int neg = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		/* Saturate: anything this large is out of range anyway. */
		if (v < 1000000)
			v = v * 10 + (*s - '0');
	}
	*out = neg ? -v : v;
	return 1;
}

#define PROGRESS_MSG "DOWNLOADING progress must be 0..100"

/* Element 2 of a DOWNLOADING report: the percentage, as a number (firmware) or a numeric string
 * (the device simulator, docs/fota.md#status-updates); any other string is kept as detail. */
static int parse_progress(const json_t *v, int *progress, const char **detail,
			  struct ncm_err_info *err)
{
	long p;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > 100)
			return ncm_err_set(err, NCM_ERR_INVAL, PROGRESS_MSG ", not %lld",
					   (long long)i);
		*progress = (int)i;
		return NCM_OK;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		/* cJSON numbers are doubles; accept whole ones only. */
		if (!(d >= 0 && d <= 100) || d != (double)(int)d)
			return ncm_err_set(err, NCM_ERR_INVAL, PROGRESS_MSG ", not %g", d);
		*progress = (int)d;
		return NCM_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (parse_decimal(s, &p)) {
			if (p < 0 || p > 100)
				return ncm_err_set(err, NCM_ERR_INVAL, PROGRESS_MSG ", not '%s'", s);
			*progress = (int)p;
			return NCM_OK;
		}
		*detail = s;
		return NCM_OK;
	}
	return ncm_err_set(err, NCM_ERR_INVAL, PROGRESS_MSG " (a number or a numeric string)");
}

int ncm_fota_status_array_parse(const json_t *root, const char **job_id,
				enum ncm_exec_status *status, int *progress, const char **detail,
				struct ncm_err_info *err)
{
	const json_t *jid, *jst, *jdet;
	enum ncm_exec_status st;
	const char *id, *det = NULL;
	size_t n, len;
	int prog = -1, rc;

	if (!json_is_array(root) || (n = json_array_size(root)) < 2 || n > 3)
		return ncm_err_set(err, NCM_ERR_INVAL, "status array must be [jobId, status, detail]");
	jid = json_array_get(root, 0);
	jst = json_array_get(root, 1);
	jdet = n > 2 ? json_array_get(root, 2) : NULL;

	if (!json_is_string(jid))
		return ncm_err_set(err, NCM_ERR_INVAL, "job ID must be a string of 1 to 36 characters");
	id = json_string_value(jid);
	len = json_string_length(jid);
	if (len < 1 || len > JOB_ID_MAX || strlen(id) != len)
		return ncm_err_set(err, NCM_ERR_INVAL, "job ID must be a string of 1 to 36 characters");

	if (json_is_integer(jst)) {
		json_int_t v = json_integer_value(jst);

		/* 8 (FMFU_VALIDATION_NEEDED) exists in the enum but is never sent (docs/fota.md#status-updates). */
		if (v == 8)
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "status 8 (FMFU_VALIDATION_NEEDED) is internal to the device, "
					   "not a reported FOTA status");
		if (v < 0 || v > NCM_EXEC_DOWNLOADING)
			return ncm_err_set(err, NCM_ERR_INVAL, "status %lld is not a FOTA status",
					   (long long)v);
		st = (enum ncm_exec_status)v;
	} else if (json_is_string(jst)) {
		st = ncm_exec_status_parse(json_string_value(jst));
		if (st == NCM_EXEC_INVALID)
			return ncm_err_set(err, NCM_ERR_INVAL, "status '%s' is not a FOTA status",
					   json_string_value(jst));
	} else {
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "status must be an integer 0..7 or a status name");
	}

	if (jdet && !json_is_null(jdet)) {
		if (st == NCM_EXEC_DOWNLOADING) {
			rc = parse_progress(jdet, &prog, &det, err);
			if (rc)
				return rc;
		} else if (json_is_string(jdet)) {
			det = json_string_value(jdet);
		} else if (!json_is_number(jdet)) {
			/* A number after a non-DOWNLOADING status carries nothing; tolerate it. */
			return ncm_err_set(err, NCM_ERR_INVAL, "status detail must be a string");
		}
	}

	if (job_id)
		*job_id = id;
	if (status)
		*status = st;
	if (progress)
		*progress = prog;
	if (detail)
		*detail = det;
	return NCM_OK;
}

json_t *ncm_fota_job_document(const char *execution_id, enum ncm_fw_type type,
			      unsigned long long size, const char *host, const char *path)
{
	/* Only types the firmware knows a number for; size must fit a JSON integer. */
	if (!execution_id || !host || !path || !ncm_fw_type_name(type) ||
	    size > (unsigned long long)LLONG_MAX)
		return NULL;
	/* Positions are fixed (docs/fota.md#job-document): [id, type, size, host, path]. */
	return json_pack("[s,i,I,s,s]", execution_id, (int)type, (json_int_t)size, host, path);
}

static int fwversion_ok(const char *v)
{
	size_t i, len = strlen(v);

	if (len < 1 || len > FWVERSION_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Optional string member: absent or null leaves *out NULL. */
static int optional_string(const json_t *root, const char *key, const char **out,
			   struct ncm_err_info *err)
{
	const json_t *v = json_object_get(root, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return NCM_OK;
	if (!json_is_string(v))
		return ncm_err_set(err, NCM_ERR_INVAL, "manifest %s must be a string", key);
	*out = json_string_value(v);
	return NCM_OK;
}

/* The file names become ZIP entry names and download paths; keep them single plain names. */
static int file_name_check(const char *f, struct ncm_err_info *err)
{
	size_t len = strlen(f);

	if (strchr(f, '/') || strstr(f, ".."))
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "manifest file '%s' must be a plain file name (no '/' or '..')", f);
	if (len <= 4 || strcmp(f + len - 4, ".bin"))
		return ncm_err_set(err, NCM_ERR_INVAL, "manifest file '%s' must be a .bin", f);
	return NCM_OK;
}

static int manifest_file(const json_t *entry, size_t index, struct ncm_manifest *m,
			 const char **type_name, struct ncm_err_info *err)
{
	const json_t *jf, *jt, *js;
	const char *f, *t;
	size_t i;
	int rc;

	if (!json_is_object(entry))
		return ncm_err_set(err, NCM_ERR_INVAL, "manifest files[%zu] must be an object", index);
	jf = json_object_get(entry, "file");
	if (!json_is_string(jf))
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "manifest files[%zu] has no \"file\" name", index);
	f = json_string_value(jf);
	rc = file_name_check(f, err);
	if (rc)
		return rc;
	for (i = 0; i < m->n_files; i++)
		if (!strcmp(m->files[i], f))
			return ncm_err_set(err, NCM_ERR_INVAL, "manifest lists file '%s' twice", f);

	jt = json_object_get(entry, "type");
	if (!json_is_string(jt))
		return ncm_err_set(err, NCM_ERR_INVAL, "manifest file '%s' has no type", f);
	t = json_string_value(jt);
	for (i = 0; i < COUNT(file_types); i++)
		if (!strcmp(file_types[i].name, t))
			break;
	if (i == COUNT(file_types))
		return ncm_err_set(err, NCM_ERR_INVAL, "unknown file type '%s'", t);
	if (file_types[i].type != NCM_FW_INVALID) {
		/* A bundle has one firmware type (docs/fota.md#firmware-bundles "type"); application and
		 * mcuboot are both APP. */
		if (m->type != NCM_FW_INVALID && m->type != file_types[i].type)
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "manifest mixes file types '%s' and '%s'", *type_name, t);
		m->type = file_types[i].type;
		*type_name = t;
	}

	js = json_object_get(entry, "size");
	m->sizes[m->n_files] = 0;
	if (js) {
		if (!json_is_integer(js) || json_integer_value(js) < 0)
			return ncm_err_set(err, NCM_ERR_INVAL,
					   "manifest file '%s' size must be a non-negative integer", f);
		m->sizes[m->n_files] = (unsigned long long)json_integer_value(js);
	}
	m->files[m->n_files++] = f;
	return NCM_OK;
}

int ncm_fota_manifest_parse(const json_t *root, struct ncm_manifest *out,
			    struct ncm_err_info *err)
{
	struct ncm_manifest m;
	const json_t *v, *files;
	const char *type_name = NULL;
	size_t i, n;
	int rc;

	memset(&m, 0, sizeof(m));
	m.type = NCM_FW_INVALID;
	if (!json_is_object(root))
		return ncm_err_set(err, NCM_ERR_INVAL, "manifest must be a JSON object");
	rc = optional_string(root, "name", &m.name, err);
	if (!rc)
		rc = optional_string(root, "description", &m.description, err);
	if (rc)
		return rc;

	v = json_object_get(root, "fwversion");
	if (!json_is_string(v) || !fwversion_ok(json_string_value(v)))
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "manifest fwversion missing or invalid (must match "
				   "[a-zA-Z0-9._-]{1,60})");
	m.version = json_string_value(v);

	v = json_object_get(root, "format-version");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return ncm_err_set(err, NCM_ERR_INVAL, "format-version must be 1");

	files = json_object_get(root, "files");
	if (!json_is_array(files) || (n = json_array_size(files)) == 0)
		return ncm_err_set(err, NCM_ERR_INVAL, "manifest has no files");
	if (n > MANIFEST_FILES_MAX)
		return ncm_err_set(err, NCM_ERR_INVAL, "manifest has %zu files; at most %zu allowed",
				   n, MANIFEST_FILES_MAX);
	for (i = 0; i < n; i++) {
		rc = manifest_file(json_array_get(files, i), i, &m, &type_name, err);
		if (rc)
			return rc;
	}
	if (m.type == NCM_FW_INVALID)
		return ncm_err_set(err, NCM_ERR_INVAL,
				   "manifest has no firmware file (only init_packet)");
	*out = m;
	return NCM_OK;
}

void ncm_fota_bundle_id(enum ncm_fw_type type, const unsigned char rnd[4], const char *version,
			char *out, size_t size)
{
	const char *name = ncm_fw_type_name(type);

	if (!out || size == 0)
		return;
	/* CUSTOM is the bundle ID prefix for anything without a firmware type (
	 * docs/fota.md#firmware-bundles); snprintf truncates and always terminates. */
	snprintf(out, size, "%s*%02x%02x%02x%02x*%s", name ? name : "CUSTOM", rnd[0], rnd[1],
		 rnd[2], rnd[3], version ? version : "");
}
