/* SPDX-License-Identifier: MIT
 * jsontext.c: shortest round-trip number text in JSON output (see jsontext.h). The text
 * jansson writes is rewritten token by token: outside strings, a number token holding '.', 'e'
 * or 'E' is a real and gets its shortest form; integers and everything else are copied.
 */
#include "jsontext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits d[0..k) and decimal exponent n (the value is 0.d * 10^n) of the shortest
 * representation of |v| that reads back to v: the fewest significant digits p for which
 * "%.{p-1}e" round-trips (at most 17 for a double). */
static void shortest_digits(double v, char *d, int *k, int *n)
{
	char buf[40];
	int p, i, j;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* buf: [-]D[.DDD]e[+-]XX */
	i = buf[0] == '-' ? 1 : 0;
	for (j = 0; buf[i] && buf[i] != 'e'; i++) {
		if (buf[i] >= '0' && buf[i] <= '9')
			d[j++] = buf[i];
	}
	/* drop trailing zeros: "1.50e0" at p = 3 cannot happen (p is minimal), but 0 can */
	while (j > 1 && d[j - 1] == '0')
		j--;
	d[j] = '\0';
	*k = j;
	*n = atoi(buf + i + 1) + 1;
}

int ncm_json_real_text(double v, char *buf, size_t size)
{
	char d[24], out[64];
	int k, n, len = 0, i;
	const char *sign = v < 0 ? "-" : "";

	if (v == 0)
		return snprintf(buf, size, "%s0.0", (1 / v) < 0 ? "-" : "");
	shortest_digits(v, d, &k, &n);
	/* ECMAScript Number::toString(10), with ".0" kept on whole numbers */
	if (k <= n && n <= 21) {
		len = snprintf(out, sizeof(out), "%s%s", sign, d);
		for (i = 0; i < n - k; i++)
			out[len++] = '0';
		out[len] = '\0';
		return snprintf(buf, size, "%s.0", out);
	}
	if (0 < n && n <= 21)
		return snprintf(buf, size, "%s%.*s.%s", sign, n, d, d + n);
	if (-6 < n && n <= 0) {
		len = snprintf(out, sizeof(out), "%s0.", sign);
		for (i = 0; i < -n; i++)
			out[len++] = '0';
		out[len] = '\0';
		return snprintf(buf, size, "%s%s", out, d);
	}
	if (k == 1)
		return snprintf(buf, size, "%s%se%c%d", sign, d, n - 1 < 0 ? '-' : '+',
				n - 1 < 0 ? 1 - n : n - 1);
	return snprintf(buf, size, "%s%c.%se%c%d", sign, d[0], d + 1, n - 1 < 0 ? '-' : '+',
			n - 1 < 0 ? 1 - n : n - 1);
}

static int is_num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

char *ncm_json_dumps(const json_t *json, size_t flags)
{
	char *in = json_dumps(json, flags), *out = NULL, *o;
	size_t len, i = 0, cap;
	int in_string = 0;

	if (!in)
		return NULL;
	len = strlen(in);
	/* a real never grows by more than the fixed layout of a 21-digit whole number */
	cap = len + 1;
	for (i = 0; i < len; i++) {
		if (in[i] == 'e' || in[i] == 'E')
			cap += 24;
	}
	out = malloc(cap);
	if (!out)
		goto out;
	o = out;
	for (i = 0; i < len;) {
		char c = in[i];

		if (in_string) {
			*o++ = c;
			i++;
			if (c == '\\' && i < len)
				*o++ = in[i++];
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
			*o++ = c;
			i++;
			continue;
		}
		if ((c >= '0' && c <= '9') || c == '-') {
			size_t start = i, tl;
			int real = 0;
			char tok[64];

			while (i < len && is_num_char(in[i])) {
				if (in[i] == '.' || in[i] == 'e' || in[i] == 'E')
					real = 1;
				i++;
			}
			tl = i - start;
			if (real && tl < sizeof(tok)) {
				memcpy(tok, in + start, tl);
				tok[tl] = '\0';
				o += ncm_json_real_text(strtod(tok, NULL), o,
							cap - (size_t)(o - out));
			} else {
				memcpy(o, in + start, tl);
				o += tl;
			}
			continue;
		}
		*o++ = c;
		i++;
	}
	*o = '\0';
out:
	free(in);
	return out;
}
