/* SPDX-License-Identifier: MIT
 * jsonata_time.c: $fromMillis and $now with XPath picture strings and a time zone, as
 * jsonata-js's formatDateTime does them: literals, [[ and ]], markers [<component><presentation>
 * [,<width>]] for Y M D d F H h P m s f Z z with decimal presentations (zero padding, grouping
 * separators, ordinals) and names (N, n, Nn). Week components (W w X x), calendar and era
 * (C E) and word or roman presentations are refused as not supported. Pure. Any thread.
 */
#include "jsonata_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const days[] = { "", "Monday", "Tuesday", "Wednesday", "Thursday",
	"Friday", "Saturday", "Sunday" };
static const char *const months[] = { "January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December" };

struct intfmt {
	int mandatory, optional;
	int regular;     /* one separator repeating every `every` digits */
	int every;
	char sepch[8];   /* the regular separator */
	int nsep;
	int seppos[16];  /* irregular separators: position from the right */
	char sep[16][8];
	int ordinal;
};

struct tbuf {
	char s[512];
	size_t n;
};

static void tput(struct jctx *cx, struct tbuf *b, const char *s, size_t n)
{
	if (b->n + n >= sizeof(b->s))
		ncm_jx_fail(cx, 2, NULL, 0, "date/time picture result too long (not supported)");
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

_Noreturn static void unsupported(struct jctx *cx, const char *what)
{
	ncm_jx_fail(cx, 2, NULL, 0, "%s in a date/time picture is not supported", what);
}

/* analyseIntegerPicture for ASCII decimal pictures: digits, '#' and separators. */
static void int_picture(struct jctx *cx, const char *p, size_t n, struct intfmt *f)
{
	int pos = 0, i, k;
	char sepc[16][8];
	int sepp[16], ns = 0;

	memset(f, 0, sizeof(*f));
	for (i = (int)n - 1; i >= 0; i--) { /* from the right, as positions are counted */
		unsigned char c = (unsigned char)p[i];

		if (c >= '0' && c <= '9') {
			f->mandatory++;
			pos++;
		} else if (c == '#') {
			f->optional++;
			pos++;
		} else if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			unsupported(cx, "a word, letter, roman or non-ASCII digit presentation");
		} else {
			if (ns >= 16)
				unsupported(cx, "a picture with this many separators");
			sepc[ns][0] = (char)c;
			sepc[ns][1] = '\0';
			sepp[ns++] = pos;
		}
	}
	if (f->mandatory == 0)
		unsupported(cx, "a presentation without digits");
	/* separators in picture order (left to right) as the reference lists them */
	for (i = 0; i < ns; i++) {
		memcpy(f->sep[i], sepc[ns - 1 - i], 8);
		f->seppos[i] = sepp[ns - 1 - i];
	}
	f->nsep = ns;
	if (ns > 0) {
		int same = 1, g = f->seppos[0];

		for (i = 1; i < ns; i++) {
			int a = g, b = f->seppos[i];

			same &= !strcmp(f->sep[i], f->sep[0]);
			while (b) {
				int t = a % b;

				a = b;
				b = t;
			}
			g = a;
		}
		for (k = 1; same && k <= ns; k++) {
			int found = 0;

			for (i = 0; i < ns; i++)
				found |= f->seppos[i] == k * g;
			same &= found;
		}
		if (same && g > 0) {
			f->regular = 1;
			f->every = g;
			strcpy(f->sepch, f->sep[0]);
		}
	}
}

/* _formatInteger, decimal case. */
static void fmt_int(struct jctx *cx, struct tbuf *out, long long value, const struct intfmt *f)
{
	char digits[64], res[160];
	int neg = value < 0, len, i;
	size_t r;

	(void)cx;
	snprintf(digits, sizeof(digits), "%lld", neg ? -value : value);
	len = (int)strlen(digits);
	r = 0;
	for (i = len; i < f->mandatory && r < 40; i++)
		res[r++] = '0';
	memcpy(res + r, digits, (size_t)len);
	r += (size_t)len;
	res[r] = '\0';
	if (f->regular) {
		int L = (int)strlen(res);
		char tmp[160];

		/* a separator every `every` digits from the right */
		{
			int cnt = 0, t = 0;

			for (i = L - 1; i >= 0; i--) {
				tmp[t++] = res[i];
				if (++cnt % f->every == 0 && i > 0)
					tmp[t++] = f->sepch[0];
			}
			for (i = 0; i < t; i++)
				res[i] = tmp[t - 1 - i];
			res[t] = '\0';
		}
	} else {
		/* each separator at its position from the right, the rightmost first */
		for (i = f->nsep - 1; i >= 0; i--) {
			int L = (int)strlen(res), at = L - f->seppos[i];
			char tmp[160];

			if (at < 0)
				at = 0;
			snprintf(tmp, sizeof(tmp), "%.*s%s%s", at, res, f->sep[i], res + at);
			strcpy(res, tmp);
		}
	}
	if (f->ordinal) {
		size_t L = strlen(res);
		const char *suf = "th";
		char last = res[L - 1];

		if (!(L > 1 && res[L - 2] == '1')) {
			if (last == '1')
				suf = "st";
			else if (last == '2')
				suf = "nd";
			else if (last == '3')
				suf = "rd";
		}
		strcat(res, suf);
	}
	if (neg)
		tput(cx, out, "-", 1);
	tput(cx, out, res, strlen(res));
}

static void civil(long long days_since_epoch, long long *y, int *m, int *d)
{
	long long z = days_since_epoch + 719468, era;
	unsigned doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y += *m <= 2;
}

static int leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

struct dt {
	long long y;
	int mo, d, yday, wday, h, mi, s, ms;
};

static void split_time(double ms, struct dt *t)
{
	long long tt = (long long)floor(ms);
	long long days = tt >= 0 ? tt / 86400000 : -((-tt + 86399999) / 86400000);
	long long rem = tt - days * 86400000;
	static const int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };

	civil(days, &t->y, &t->mo, &t->d);
	t->yday = cum[t->mo - 1] + t->d + (t->mo > 2 && leap(t->y));
	t->wday = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday (4) */
	if (t->wday == 0)
		t->wday = 7;
	t->h = (int)(rem / 3600000);
	t->mi = (int)(rem / 60000 % 60);
	t->s = (int)(rem / 1000 % 60);
	t->ms = (int)(rem % 1000);
}

struct marker {
	char comp;
	char pres1[32];
	char pres2;
	int names; /* 0 no, 1 lower, 2 upper, 3 title */
	int wmin, wmax; /* -1 when absent */
	int n;
	struct intfmt f;
};

static void parse_marker(struct jctx *cx, const char *m, size_t len, struct marker *mk)
{
	char buf[64];
	size_t i, k = 0;
	const char *comma, *pres;
	size_t plen;

	for (i = 0; i < len && k < sizeof(buf) - 1; i++)
		if (!(m[i] == ' ' || m[i] == '\t' || m[i] == '\n' || m[i] == '\r'))
			buf[k++] = m[i];
	buf[k] = '\0';
	memset(mk, 0, sizeof(*mk));
	mk->wmin = mk->wmax = -1;
	mk->n = -1;
	if (!k)
		ncm_jx_fail(cx, 2, "D3132", 0, "Unknown component specifier in date/time picture string");
	mk->comp = buf[0];
	comma = strrchr(buf, ',');
	pres = buf + 1;
	plen = comma ? (size_t)(comma - pres) : strlen(pres);
	if (comma) {
		const char *w = comma + 1, *dash = strchr(w, '-');
		char a[16] = "", b[16] = "";

		if (dash) {
			snprintf(a, sizeof(a), "%.*s", (int)(dash - w), w);
			snprintf(b, sizeof(b), "%s", dash + 1);
		} else {
			snprintf(a, sizeof(a), "%s", w);
		}
		if (a[0] && strcmp(a, "*"))
			mk->wmin = atoi(a);
		if (b[0] && strcmp(b, "*"))
			mk->wmax = atoi(b);
		if ((a[0] && strcmp(a, "*") && !(a[0] >= '0' && a[0] <= '9')) ||
		    (b[0] && strcmp(b, "*") && !(b[0] >= '0' && b[0] <= '9')))
			unsupported(cx, "a width that is not a number");
	}
	if (plen >= sizeof(mk->pres1))
		unsupported(cx, "a presentation this long");
	if (plen == 1) {
		mk->pres1[0] = pres[0];
	} else if (plen > 1) {
		char last = pres[plen - 1];

		if (strchr("atco", last)) {
			mk->pres2 = last;
			memcpy(mk->pres1, pres, plen - 1);
		} else {
			memcpy(mk->pres1, pres, plen);
		}
	} else {
		static const char comps[] = "YMDdFWwXxHhPmsfZzCE";
		static const char *const defs[] = { "1", "1", "1", "1", "n", "1", "1", "1", "1", "1",
			"1", "n", "01", "01", "1", "01:01", "01:01", "n", "n" };
		const char *p = strchr(comps, mk->comp);

		if (!p || !mk->comp)
			ncm_jx_fail(cx, 2, "D3132", 0,
				    "Unknown component specifier %c in date/time picture string", mk->comp);
		strcpy(mk->pres1, defs[p - comps]);
	}
	if (strchr("WwXxCE", mk->comp))
		unsupported(cx, "a week, calendar or era component");
	if (!strchr("YMDdFHhPmsfZz", mk->comp))
		ncm_jx_fail(cx, 2, "D3132", 0,
			    "Unknown component specifier %c in date/time picture string", mk->comp);
	if (mk->pres1[0] == 'n') {
		mk->names = 1;
	} else if (mk->pres1[0] == 'N') {
		mk->names = mk->pres1[1] == 'n' ? 3 : 2;
	} else if (strchr("YMDdFHhmsf", mk->comp)) {
		if (mk->pres2 && mk->pres2 != 'o')
			unsupported(cx, "a presentation modifier other than 'o'");
		int_picture(cx, mk->pres1, strlen(mk->pres1), &mk->f);
		mk->f.ordinal = mk->pres2 == 'o';
		if (mk->wmin >= 0 && mk->f.mandatory < mk->wmin)
			mk->f.mandatory = mk->wmin;
		if (mk->f.mandatory > 40 || mk->wmax > 40)
			unsupported(cx, "a width over 40");
		if (strchr("YMD", mk->comp)) {
			if (mk->wmax >= 0) {
				mk->n = mk->wmax;
				mk->f.mandatory = mk->n;
			} else if (mk->f.mandatory + mk->f.optional >= 2) {
				mk->n = mk->f.mandatory + mk->f.optional;
			}
		}
	}
	if (mk->comp == 'Z' || mk->comp == 'z') {
		if (mk->names)
			unsupported(cx, "a named time zone");
		int_picture(cx, mk->pres1, strlen(mk->pres1), &mk->f);
	}
}

static void put_name(struct jctx *cx, struct tbuf *out, const char *name, const struct marker *mk)
{
	char b[32];
	size_t i, n = strlen(name);

	snprintf(b, sizeof(b), "%s", name);
	for (i = 0; i < n; i++) {
		if (mk->names == 2)
			b[i] = (char)(b[i] >= 'a' && b[i] <= 'z' ? b[i] - 32 : b[i]);
		else if (mk->names == 1)
			b[i] = (char)(b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]);
	}
	if (mk->wmax >= 0 && (int)n > mk->wmax)
		n = (size_t)mk->wmax;
	tput(cx, out, b, n);
}

static void component(struct jctx *cx, struct tbuf *out, const struct dt *t,
		      const struct marker *mk, int offh, int offm)
{
	long long v = 0;

	switch (mk->comp) {
	case 'Y': v = t->y; break;
	case 'M': v = t->mo; break;
	case 'D': v = t->d; break;
	case 'd': v = t->yday; break;
	case 'F': v = t->wday; break;
	case 'H': v = t->h; break;
	case 'h': v = t->h % 12 ? t->h % 12 : 12; break;
	case 'm': v = t->mi; break;
	case 's': v = t->s; break;
	case 'f': v = t->ms; break;
	}
	if (strchr("YMDdFHhms", mk->comp)) {
		if (mk->comp == 'Y' && mk->n != -1) {
			long long p = 1;

			for (int i = 0; i < mk->n && i < 18; i++)
				p *= 10;
			v = v % p;
		}
		if (mk->names) {
			if (mk->comp == 'M')
				put_name(cx, out, months[v - 1], mk);
			else if (mk->comp == 'F')
				put_name(cx, out, days[v], mk);
			else
				ncm_jx_fail(cx, 2, "D3133", 0,
					    "The 'name' modifier can only be applied to months and days in "
					    "the date/time picture string, not %c", mk->comp);
			return;
		}
		fmt_int(cx, out, v, &mk->f);
		return;
	}
	if (mk->comp == 'f') {
		fmt_int(cx, out, v, &mk->f);
		return;
	}
	if (mk->comp == 'P') {
		const char *ap = t->h >= 12 ? "pm" : "am";

		tput(cx, out, mk->names == 2 ? (t->h >= 12 ? "PM" : "AM") : ap, 2);
		return;
	}
	/* Z, z */
	{
		struct tbuf zb = { "", 0 };
		int offset = offh * 100 + offm;

		if (mk->f.regular) {
			fmt_int(cx, &zb, offset, &mk->f);
		} else if (mk->f.mandatory == 1 || mk->f.mandatory == 2) {
			struct intfmt two = { 0 };

			fmt_int(cx, &zb, offh, &mk->f);
			if (offm != 0) {
				two.mandatory = 2;
				tput(cx, &zb, ":", 1);
				fmt_int(cx, &zb, offm, &two);
			}
		} else if (mk->f.mandatory == 3 || mk->f.mandatory == 4) {
			fmt_int(cx, &zb, offset, &mk->f);
		} else {
			ncm_jx_fail(cx, 2, "D3134", 0,
				    "The timezone integer format specifier cannot have more than four "
				    "digits");
		}
		if (offset == 0 && mk->pres2 == 't') {
			tput(cx, out, "Z", 1);
			return;
		}
		if (mk->comp == 'z')
			tput(cx, out, "GMT", 3);
		if (offset >= 0)
			tput(cx, out, "+", 1);
		tput(cx, out, zb.s, zb.n);
	}
}

/* Literal text of a picture, where "]]" stands for "]". */
static void literal(struct jctx *cx, struct tbuf *out, const char *p, size_t from, size_t to)
{
	size_t k;

	for (k = from; k < to; k++) {
		tput(cx, out, p + k, 1);
		if (p[k] == ']' && k + 1 < to && p[k + 1] == ']')
			k++;
	}
}

struct jv *ncm_jx_format_datetime(struct jctx *cx, double ms, const struct jv *picture,
				  const struct jv *tz)
{
	static const char iso[] = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";
	const char *p = picture ? picture->s : iso;
	size_t n = picture ? picture->slen : strlen(iso), i = 0, start = 0;
	int offh = 0, offm = 0;
	struct tbuf *out = ncm_jx_alloc(cx, sizeof(*out));
	struct dt t;

	if (fabs(ms) > 8.64e15 || isnan(ms))
		ncm_jx_fail(cx, 2, NULL, 0, "an invalid time value is not supported");
	if (tz) {
		/* parseInt: optional sign and leading digits */
		const char *s = tz->s;
		int sign = 1;
		long v = 0, any = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '+' || *s == '-')
			sign = *s++ == '-' ? -1 : 1;
		while (*s >= '0' && *s <= '9' && v < 100000) {
			v = v * 10 + (*s++ - '0');
			any = 1;
		}
		if (!any)
			unsupported(cx, "a time zone that is not a number");
		v *= sign;
		offh = (int)floor((double)v / 100);
		offm = (int)(v % 100);
	}
	split_time(ms + (60.0 * offh + offm) * 60000.0, &t);
	while (i < n) {
		if (p[i] == '[') {
			if (i + 1 < n && p[i + 1] == '[') {
				literal(cx, out, p, start, i);
				tput(cx, out, "[", 1);
				i += 2;
				start = i;
				continue;
			}
			{
				const char *e = memchr(p + i, ']', n - i);
				struct marker mk;

				literal(cx, out, p, start, i);
				if (!e)
					ncm_jx_fail(cx, 2, "D3135", 0,
						    "No matching closing bracket ']' in date/time picture "
						    "string");
				parse_marker(cx, p + i + 1, (size_t)(e - (p + i + 1)), &mk);
				component(cx, out, &t, &mk, offh, offm);
				i = (size_t)(e - p) + 1;
				start = i;
				continue;
			}
		}
		i++;
	}
	literal(cx, out, p, start, n);
	return ncm_jx_str(cx, out->s, out->n);
}
