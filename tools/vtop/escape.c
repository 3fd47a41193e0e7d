// SPDX-License-Identifier: GPL-2.0
/*
 * Escaping for JSON strings, CSV fields and Prometheus label values.
 */
#include <stdbool.h>
#include <string.h>

#include "escape.h"

#define REPLACEMENT_CHAR "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

size_t vtop_utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned int cp, need, i;

	if (!left)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (left < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF. */
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need + 1;
}

/*
 * Walk @s, calling @put_ascii for each ASCII byte and copying valid
 * multi-byte sequences; invalid bytes become U+FFFD.
 */
static void put_escaped(FILE *out, const char *s, size_t len,
			void (*put_ascii)(FILE *out, unsigned char c))
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, len), i = 0;

	while (i < n) {
		size_t seq = vtop_utf8_seq_len(p + i, n - i);

		if (seq == 1) {
			put_ascii(out, p[i]);
		} else if (seq > 1) {
			fwrite(p + i, 1, seq, out);
		} else {
			fputs(REPLACEMENT_CHAR, out);
			seq = 1;
		}
		i += seq;
	}
}

static void json_ascii(FILE *out, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", out);
		break;
	case '\\':
		fputs("\\\\", out);
		break;
	case '\n':
		fputs("\\n", out);
		break;
	case '\r':
		fputs("\\r", out);
		break;
	case '\t':
		fputs("\\t", out);
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

void vtop_put_json_string(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	put_escaped(out, s, len, json_ascii);
	fputc('"', out);
}

static void csv_ascii(FILE *out, unsigned char c)
{
	if (c == '"')
		fputs("\"\"", out);
	else
		fputc(c, out);
}

static bool csv_needs_quotes(const char *s, size_t n)
{
	size_t i;

	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		return true;
	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return true;
	return false;
}

void vtop_put_csv_field(FILE *out, const char *s, size_t len)
{
	size_t n = strnlen(s, len);

	if (!csv_needs_quotes(s, n)) {
		put_escaped(out, s, n, csv_ascii);
		return;
	}
	fputc('"', out);
	put_escaped(out, s, n, csv_ascii);
	fputc('"', out);
}

static void prom_ascii(FILE *out, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", out);
		break;
	case '\\':
		fputs("\\\\", out);
		break;
	case '\n':
		fputs("\\n", out);
		break;
	default:
		fputc(c, out);
	}
}

void vtop_put_prom_label(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	put_escaped(out, s, len, prom_ascii);
	fputc('"', out);
}
