/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strings as each output format wants them quoted. Bytes that are not valid
 * UTF-8 become U+FFFD, so every output stays valid UTF-8 whatever a name
 * holds. @len bounds @s; a NUL before it ends the string.
 */
#ifndef VTOP_ESCAPE_H
#define VTOP_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* A JSON string, quotes included (RFC 8259). */
void vtop_put_json_string(FILE *out, const char *s, size_t len);

/* A CSV field, quoted only when it must be (RFC 4180). */
void vtop_put_csv_field(FILE *out, const char *s, size_t len);

/* A Prometheus label value, quotes included (exposition format 0.0.4). */
void vtop_put_prom_label(FILE *out, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at @s (of @left bytes), 0 if none. */
size_t vtop_utf8_seq_len(const unsigned char *s, size_t left);

#endif /* VTOP_ESCAPE_H */
