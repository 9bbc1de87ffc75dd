/* SPDX-License-Identifier: MIT
 * isotime.c: ISO 8601 times (see isotime.h).
 */
#include "isotime.h"

#include <time.h>

int64_t ncm_iso8601_parse_ms(const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	int64_t ms = 0, scale = 100;

	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return -1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}
