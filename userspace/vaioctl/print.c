// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: one printer for text and JSON, as iproute2's json_print.c.
 *
 * A command writes each field once:
 *
 *	open_json_object(NULL);
 *	print_string(PRINT_ANY, "disk", "disk %s\n", name);
 *	print_u64(PRINT_JSON, "sectors", NULL, sectors);
 *	print_text("    state %s\n", state);
 *	close_json_object();
 *
 * With -j the print_*() calls of PRINT_JSON and PRINT_ANY add KEY and the
 * value to the innermost open object (or append the value to the
 * innermost open array, KEY then unused), and closing the outermost
 * object or array prints the document on one line (-p: indented) and
 * frees it. Without -j, PRINT_FP and PRINT_ANY print the value with the
 * printf format FMT (one conversion, for the value's type as the function
 * says), and opening or closing does nothing.
 */
#include "vaioctl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

/* stats: human units in the text (KiB, MiB...; k, M...); -r: exact. */
bool human = true;

#define DEPTH 16
static struct json_object *stack[DEPTH];
static int depth;

static bool to_json(enum output_type t)
{
	return json_out && (t & PRINT_JSON);
}

static bool to_text(enum output_type t)
{
	return !json_out && (t & PRINT_FP);
}

/* @v (owned, NULL: null) under @key in the open object, or appended. */
static void add(const char *key, struct json_object *v)
{
	struct json_object *top;

	if (!depth) {
		/* A value outside any object: a whole document. */
		print_json(v);
		return;
	}
	top = stack[depth - 1];
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key, v);
}

static void open_json(const char *key, struct json_object *o)
{
	if (depth == DEPTH)
		die(EXIT_FAIL, "internal error: JSON nested too deep");
	if (depth)
		add(key, json_object_get(o));
	stack[depth++] = o;
}

void open_json_object(const char *key)
{
	if (json_out)
		open_json(key, json_object_new_object());
}

void open_json_array(const char *key)
{
	if (json_out)
		open_json(key, json_object_new_array());
}

/* Closing the outermost object or array prints the document. */
static void close_json(void)
{
	if (!json_out)
		return;
	if (!depth)
		die(EXIT_FAIL, "internal error: JSON closed more than opened");
	if (--depth)
		json_object_put(stack[depth]);	/* its container holds it */
	else
		print_json(stack[0]);
}

void close_json_object(void)
{
	close_json();
}

void close_json_array(void)
{
	close_json();
}

/* The innermost open object's @key dropped (JSON only). */
void drop_json_key(const char *key)
{
	if (json_out && depth &&
	    json_object_is_type(stack[depth - 1], json_type_object))
		json_object_object_del(stack[depth - 1], key);
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (json_out)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/*
 * The text formats are the caller's, with one conversion for the value:
 * %s (print_string, print_bool, print_null, print_size, print_count,
 * print_rate), %u (print_uint), %d (print_int), %llu (print_u64), %lld
 * (print_s64), a double's (print_float).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* NULL @value: null in JSON, "-" in the text. */
void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value)
{
	if (to_json(t))
		add(key, value ? json_object_new_string(value) : NULL);
	else if (to_text(t))
		printf(fmt, value ? value : "-");
}

/* null in JSON; @text in the text. */
void print_null(enum output_type t, const char *key, const char *fmt,
		const char *text)
{
	if (to_json(t))
		add(key, NULL);
	else if (to_text(t))
		printf(fmt, text);
}

/* true or false in JSON; "yes" or "no" in the text. */
void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value)
{
	if (to_json(t))
		add(key, json_object_new_boolean(value));
	else if (to_text(t))
		printf(fmt, value ? "yes" : "no");
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int value)
{
	if (to_json(t))
		add(key, json_object_new_uint64(value));
	else if (to_text(t))
		printf(fmt, value);
}

void print_int(enum output_type t, const char *key, const char *fmt,
	       int value)
{
	if (to_json(t))
		add(key, json_object_new_int(value));
	else if (to_text(t))
		printf(fmt, value);
}

void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t value)
{
	if (to_json(t))
		add(key, json_object_new_uint64(value));
	else if (to_text(t))
		printf(fmt, (unsigned long long)value);
}

void print_s64(enum output_type t, const char *key, const char *fmt,
	       int64_t value)
{
	if (to_json(t))
		add(key, json_object_new_int64(value));
	else if (to_text(t))
		printf(fmt, (long long)value);
}

void print_float(enum output_type t, const char *key, const char *fmt,
		 double value)
{
	if (to_json(t))
		add(key, json_object_new_double(value));
	else if (to_text(t))
		printf(fmt, value);
}

/*
 * @v in human units if @human: powers of 1024 with "KiB", "MiB"... for
 * bytes (@bytes), of 1000 with "k", "M"... for counts; one decimal below
 * 10. Else, and below one unit, the whole number.
 */
static const char *human_units(double v, bool bytes, char *buf, size_t len)
{
	static const char *const iec[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	static const char *const si[] = { "k", "M", "G", "T", "P", "E" };
	double base = bytes ? 1024 : 1000;
	int u = -1;

	/*
	 * A value that rounds up to the next unit takes it: 1048575 bytes
	 * read "1.0MiB", not "1024KiB".
	 */
	if (human) {
		while (u < 5 && (v >= base || (u >= 0 && v >= base - 0.5))) {
			v /= base;
			u++;
		}
	}
	if (u < 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, v < 9.95 ? "%.1f%s" : "%.0f%s", v,
			 bytes ? iec[u] : si[u]);
	return buf;
}

/* A whole number: exact (through no double) unless shown in human units. */
static const char *int_units(uint64_t v, bool bytes, char *buf, size_t len)
{
	if (!human || v < (bytes ? 1024 : 1000)) {
		snprintf(buf, len, "%" PRIu64, v);
		return buf;
	}
	return human_units(v, bytes, buf, len);
}

void print_size(enum output_type t, const char *key, const char *fmt,
		uint64_t bytes)
{
	char buf[32];

	if (to_json(t))
		add(key, json_object_new_uint64(bytes));
	else if (to_text(t))
		printf(fmt, int_units(bytes, true, buf, sizeof(buf)));
}

void print_count(enum output_type t, const char *key, const char *fmt,
		 uint64_t count)
{
	char buf[32];

	if (to_json(t))
		add(key, json_object_new_uint64(count));
	else if (to_text(t))
		printf(fmt, int_units(count, false, buf, sizeof(buf)));
}

/* A rate per second (a double in JSON), of bytes if @bytes. */
void print_rate(enum output_type t, const char *key, const char *fmt,
		double value, bool bytes)
{
	char buf[32];

	if (to_json(t))
		add(key, json_object_new_double(value));
	else if (to_text(t))
		printf(fmt, human_units(value, bytes, buf, sizeof(buf)));
}

#pragma GCC diagnostic pop
