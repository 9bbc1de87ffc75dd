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
		ncm_jx_fail(cx, 2, "D3130", 0,
			    "Formatting or parsing an integer as a sequence is not supported by this "
			    "implementation");
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
		/* each separator at its position from the right, the leftmost first */
		for (i = 0; i < f->nsep; i++) {
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

/* ---- $formatNumber (XPath format-number as jsonata-js implements it) ---- */

struct npic {
	const char *s; /* the sub-picture */
	size_t n;
	char prefix[64], suffix[64], integer[64], frac[64], mant[64], expo[64];
	int has_expo;
	int gpos[32], ngpos, regular;
	int fgpos[32], nfgpos;
	int minint, scaling, minfrac, maxfrac, minexp;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_active(char c)
{
	return is_digit(c) || c == '.' || c == 'e' || c == ',' || c == '#' || c == ';';
}

static void sub(char *dst, const char *s, size_t from, size_t to)
{
	size_t n = to > from ? to - from : 0;

	if (n > 63)
		n = 63;
	memcpy(dst, s + from, n);
	dst[n] = '\0';
}

static int count_digits(const char *s, size_t from, size_t to, int with_hash)
{
	int c = 0;

	for (size_t i = from; i < to && s[i]; i++)
		c += is_digit(s[i]) || (with_hash && s[i] == '#');
	return c;
}

static int gcd(int a, int b)
{
	return b == 0 ? a : gcd(b, a % b);
}

static void split_parts(struct jctx *cx, struct npic *p)
{
	size_t i, pre = p->n, suf = p->n, act;
	const char *s = p->s;
	char active[64];
	long epos;

	if (p->n > 60)
		ncm_jx_fail(cx, 2, NULL, 0, "a $formatNumber picture this long is not supported");
	for (i = 0; i < p->n; i++)
		if (is_active(s[i]) && s[i] != 'e') {
			pre = i;
			break;
		}
	for (i = p->n; i > 0; i--)
		if (is_active(s[i - 1]) && s[i - 1] != 'e') {
			suf = i;
			break;
		}
	if (pre == p->n) /* no active character: prefix and suffix are undefined in jsonata-js */
		ncm_jx_fail(cx, 2, NULL, 0, "a $formatNumber picture without digits is not supported");
	sub(p->prefix, s, 0, pre);
	sub(p->suffix, s, suf, p->n);
	sub(active, s, pre, suf);
	act = strlen(active);
	epos = -1;
	for (i = pre; i < p->n; i++)
		if (s[i] == 'e') {
			epos = (long)i;
			break;
		}
	if (epos == -1 || epos > (long)(p->n - strlen(p->suffix))) {
		strcpy(p->mant, active);
		p->has_expo = 0;
	} else { /* the reference indexes the active part with the picture's position */
		sub(p->mant, active, 0, (size_t)epos < act ? (size_t)epos : act);
		if ((size_t)epos + 1 <= act)
			sub(p->expo, active, (size_t)epos + 1, act);
		else
			p->expo[0] = '\0';
		p->has_expo = 1;
	}
	{
		char *d = strchr(p->mant, '.');

		if (!d) {
			strcpy(p->integer, p->mant);
			strcpy(p->frac, p->suffix);
		} else {
			sub(p->integer, p->mant, 0, (size_t)(d - p->mant));
			strcpy(p->frac, d + 1);
		}
	}
}

static void validate_pic(struct jctx *cx, const struct npic *p)
{
	const char *err = NULL, *s;
	char sp[64];
	const char *d1, *d2, *h;
	size_t i;
	int valid = 0;

	sub(sp, p->s, 0, p->n);
	s = sp;
	d1 = strchr(s, '.');
	d2 = strrchr(s, '.');
	if (d1 != d2)
		err = "D3081";
	if (strchr(s, '%') != strrchr(s, '%'))
		err = "D3082";
	if (strstr(s, "\xe2\x80\xb0") && strstr(s, "\xe2\x80\xb0") != strstr(strstr(s, "\xe2\x80\xb0") + 1, "\xe2\x80\xb0") &&
	    strstr(strstr(s, "\xe2\x80\xb0") + 1, "\xe2\x80\xb0"))
		err = "D3083";
	if (strchr(s, '%') && strstr(s, "\xe2\x80\xb0"))
		err = "D3084";
	for (i = 0; p->mant[i]; i++)
		if (is_digit(p->mant[i]) || p->mant[i] == '#') {
			valid = 1;
			break;
		}
	if (!valid)
		err = "D3085";
	{
		char active[64];
		size_t pre = strlen(p->prefix), suf = strlen(p->suffix);

		sub(active, s, pre, p->n - suf);
		for (i = 0; active[i]; i++)
			if (!is_active(active[i]))
				err = "D3086";
	}
	if (d1) {
		if ((d1 > s && d1[-1] == ',') || d1[1] == ',')
			err = "D3087";
	} else if (p->integer[0] && p->integer[strlen(p->integer) - 1] == ',') {
		err = "D3088";
	}
	if (strstr(s, ",,"))
		err = "D3089";
	h = strchr(p->integer, '#');
	if (h && count_digits(p->integer, 0, (size_t)(h - p->integer), 0) > 0)
		err = "D3090";
	h = strrchr(p->frac, '#');
	if (h && count_digits(h, 0, strlen(h), 0) > 0)
		err = "D3091";
	if (p->has_expo && p->expo[0] && (strchr(s, '%') || strstr(s, "\xe2\x80\xb0")))
		err = "D3092";
	if (p->has_expo && (!p->expo[0] || count_digits(p->expo, 0, strlen(p->expo), 0) !=
						   (int)strlen(p->expo)))
		err = "D3093";
	if (err)
		ncm_jx_fail(cx, 2, err, 0, "Invalid $formatNumber picture");
}

static void analyse_pic(struct npic *p)
{
	const char *ip = p->integer;
	char *g;
	int k, ok;

	p->ngpos = 0;
	g = strchr(ip, ',');
	while (g && p->ngpos < 32) {
		p->gpos[p->ngpos++] = count_digits(g, 0, strlen(g), 1);
		g = strchr(g + 1, ',');
	}
	p->regular = 0;
	if (p->ngpos) {
		int f = p->gpos[0];

		for (k = 1; k < p->ngpos; k++)
			f = gcd(f, p->gpos[k]);
		ok = 1;
		for (k = 1; k <= p->ngpos && ok; k++) {
			int found = 0;

			for (int j = 0; j < p->ngpos; j++)
				found |= p->gpos[j] == k * f;
			ok = found;
		}
		p->regular = ok ? f : 0;
	}
	/* fractional grouping: the first position from the fraction, later ones (as in the
	 * reference) found in the integer part */
	p->nfgpos = 0;
	{
		const char *fp = p->frac;
		const char *c = strchr(fp, ',');
		long pos = c ? (long)(c - fp) : -1;

		while (pos != -1 && p->nfgpos < 32) {
			p->fgpos[p->nfgpos++] = count_digits(fp, 0, (size_t)pos < strlen(fp) ? (size_t)pos : strlen(fp), 1);
			c = (size_t)pos + 1 <= strlen(ip) ? strchr(ip + pos + 1, ',') : NULL;
			pos = c ? (long)(c - ip) : -1;
		}
	}
	p->minint = count_digits(ip, 0, strlen(ip), 0);
	p->scaling = p->minint;
	p->minfrac = count_digits(p->frac, 0, strlen(p->frac), 0);
	p->maxfrac = count_digits(p->frac, 0, strlen(p->frac), 1);
	if (p->minint == 0 && p->maxfrac == 0) {
		if (p->has_expo) {
			p->minfrac = 1;
			p->maxfrac = 1;
		} else {
			p->minint = 1;
		}
	}
	if (p->has_expo && p->minint == 0 && strchr(ip, '#'))
		p->minint = 1;
	if (p->minint == 0 && p->minfrac == 0)
		p->minfrac = 1;
	p->minexp = p->has_expo ? count_digits(p->expo, 0, strlen(p->expo), 0) : 0;
}

/* Inserts c at byte offset at of s (NUL-terminated, room for one more). */
static void insert_at(char *s, long at, char c)
{
	size_t n = strlen(s);

	if (at < 0)
		at = 0;
	if ((size_t)at > n)
		at = (long)n;
	memmove(s + at + 1, s + at, n - (size_t)at + 1);
	s[at] = c;
}

struct jv *ncm_jx_format_number(struct jctx *cx, double value, const struct jv *picture,
				double (*round_to)(double, int))
{
	struct npic pics[2];
	const char *semi;
	int np, e = 0, has_e;
	struct npic *pic;
	double adj, mant;
	char str[400], *dot;
	size_t len;
	long dpos, k;
	struct tbuf *out = ncm_jx_alloc(cx, sizeof(*out));

	memset(pics, 0, sizeof(pics));
	semi = memchr(picture->s, ';', picture->slen);
	if (semi && memchr(semi + 1, ';', picture->slen - (size_t)(semi + 1 - picture->s)))
		ncm_jx_fail(cx, 2, "D3080", 0,
			    "The picture string must only contain a maximum of two sub-pictures");
	pics[0].s = picture->s;
	pics[0].n = semi ? (size_t)(semi - picture->s) : picture->slen;
	np = 1;
	if (semi) {
		pics[1].s = semi + 1;
		pics[1].n = picture->slen - pics[0].n - 1;
		np = 2;
	}
	for (k = 0; k < np; k++)
		split_parts(cx, &pics[k]);
	for (k = 0; k < np; k++)
		validate_pic(cx, &pics[k]);
	for (k = 0; k < np; k++)
		analyse_pic(&pics[k]);
	if (np == 1) {
		pics[1] = pics[0];
		size_t l = strlen(pics[0].prefix);

		if (l > sizeof(pics[1].prefix) - 2)
			l = sizeof(pics[1].prefix) - 2;
		pics[1].prefix[0] = '-';
		memcpy(pics[1].prefix + 1, pics[0].prefix, l);
		pics[1].prefix[l + 1] = '\0';
	}
	pic = value >= 0 ? &pics[0] : &pics[1];
	{
		char sp[64];

		sub(sp, pic->s, 0, pic->n);
		if (strchr(sp, '%'))
			adj = value * 100;
		else if (strstr(sp, "\xe2\x80\xb0"))
			adj = value * 1000;
		else
			adj = value;
		has_e = pic->minexp != 0;
		mant = adj;
		if (has_e) {
			double maxm = pow(10, pic->scaling), minm = pow(10, pic->scaling - 1);
			int guard = 0;

			while (mant < minm && guard++ < 400) {
				mant *= 10;
				e -= 1;
			}
			while (mant > maxm && guard++ < 800) {
				mant /= 10;
				e += 1;
			}
			if (guard >= 400)
				ncm_jx_fail(cx, 2, NULL, 0,
					    "$formatNumber of this value with an exponent is not supported");
		}
		mant = round_to(mant, pic->maxfrac);
		if (fabs(mant) >= 1e21 || pic->maxfrac > 100)
			ncm_jx_fail(cx, 2, NULL, 0, "$formatNumber of a number this large is not supported");
		snprintf(str, sizeof(str) - 80, "%.*f", pic->maxfrac, fabs(mant));
		if (!strchr(str, '.'))
			strcat(str, ".");
		/* strip leading and trailing zeros */
		len = strlen(str);
		{
			size_t a = 0;

			while (str[a] == '0')
				a++;
			memmove(str, str + a, len - a + 1);
			len = strlen(str);
			while (len && str[len - 1] == '0')
				str[--len] = '\0';
		}
		dot = strchr(str, '.');
		dpos = (long)(dot - str);
		{
			long padl = pic->minint - dpos;
			long padr = pic->minfrac - ((long)strlen(str) - dpos - 1);
			char tmp[400];

			if (padl > 80 || padr > 80)
				ncm_jx_fail(cx, 2, NULL, 0, "$formatNumber padding this wide is not supported");
			tmp[0] = '\0';
			for (k = 0; k < padl; k++)
				strcat(tmp, "0");
			strcat(tmp, str);
			for (k = 0; k < padr; k++)
				strcat(tmp, "0");
			strcpy(str, tmp);
		}
		dpos = (long)(strchr(str, '.') - str);
		if (pic->regular > 0) {
			long groups = (dpos - 1) / pic->regular, g;

			for (g = 1; g <= groups; g++)
				insert_at(str, dpos - g * pic->regular, ',');
		} else {
			for (k = 0; k < pic->ngpos; k++) {
				insert_at(str, dpos - pic->gpos[k], ',');
				dpos++;
			}
		}
		dpos = (long)(strchr(str, '.') - str);
		for (k = 0; k < pic->nfgpos; k++)
			insert_at(str, pic->fgpos[k] + dpos + 1, ',');
		dpos = (long)(strchr(str, '.') - str);
		if (!memchr(sp, '.', strlen(sp)) || dpos == (long)strlen(str) - 1)
			str[strlen(str) - 1] = '\0';
		tput(cx, out, pic->prefix, strlen(pic->prefix));
		tput(cx, out, str, strlen(str));
		if (has_e) {
			char ex[32];

			snprintf(ex, sizeof(ex), "%d", e < 0 ? -e : e);
			tput(cx, out, "e", 1);
			if (e < 0)
				tput(cx, out, "-", 1);
			for (k = (long)strlen(ex); k < pic->minexp; k++)
				tput(cx, out, "0", 1);
			tput(cx, out, ex, strlen(ex));
		}
		tput(cx, out, pic->suffix, strlen(pic->suffix));
	}
	return ncm_jx_str(cx, out->s, out->n);
}

/* $formatInteger(value, picture) for decimal pictures ("000", "#,##0", "0;o"); letters,
 * roman numerals and words are refused as not supported. */
struct jv *ncm_jx_format_integer(struct jctx *cx, double value, const struct jv *picture)
{
	struct tbuf *out = ncm_jx_alloc(cx, sizeof(*out));
	const char *semi = NULL;
	struct intfmt f;
	size_t i, plen;

	for (i = picture->slen; i > 0; i--)
		if (picture->s[i - 1] == ';') {
			semi = picture->s + i - 1;
			break;
		}
	plen = semi ? (size_t)(semi - picture->s) : picture->slen;
	if ((plen == 1 && strchr("AaIiWw", picture->s[0])) ||
	    (plen == 2 && !memcmp(picture->s, "Ww", 2)))
		unsupported(cx, "a letter, roman or word presentation");
	int_picture(cx, picture->s, plen, &f);
	f.ordinal = semi && semi[1] == 'o';
	if (f.mandatory > 40)
		unsupported(cx, "a width over 40");
	value = floor(value);
	if (!(fabs(value) < 1e18))
		ncm_jx_fail(cx, 2, NULL, 0, "$formatInteger of a number this large is not supported");
	fmt_int(cx, out, (long long)value, &f);
	return ncm_jx_str(cx, out->s, out->n);
}
