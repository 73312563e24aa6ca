/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vaioctl's own header: what its files call of each other.
 * vaioctl.c has the options, the usage texts and the commands' dispatch;
 * utils.c the helpers the objects share; print.c the printer of text
 * and JSON; a file per object: filter.c, policy.c, disk.c, stats.c,
 * monitor.c, pool.c, apply.c, repl.c, crypt.c, cbt.c.
 */
#ifndef VAIOCTL_H
#define VAIOCTL_H

#include "../lib/vaio.h"

#include <signal.h>
#include <stdint.h>

#include <json-c/json.h>

enum { EXIT_OK, EXIT_FAIL, EXIT_USAGE };

struct cmd {
	const char *object, *command;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

/* utils.c */
extern bool json_out;
extern int json_flags;
/* -p: indented, spaced. */
#define JSON_PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
		     JSON_C_TO_STRING_NOSLASHESCAPE)
void __attribute__((format(printf, 2, 3), noreturn))
die(int code, const char *fmt, ...);
void __attribute__((noreturn)) die_err(const struct vaio_err *err);
extern volatile sig_atomic_t stop;
void on_signal(int sig);
extern sigset_t old_mask;
extern int conf_lock_fd;
int lock_conf(struct vaio_err *err);
int held_signal(void);
void unlock_conf(int fd);
const char *expand(const char *word, const char *const *names);
struct vaio_nl *nl(void);
void print_json(struct json_object *obj);
void check_name(const char *what, const char *name);
const char *param_type_name(int t);
const char *fail_name(int mode);
int find_disk(const char *name, struct vaio_disk_info *out,
	      struct vaio_err *err);
/* How print_filter() writes a filter in the text. */
enum filter_style { FILTER_SHOW, FILTER_STATS, FILTER_EVENT, FILTER_JSON };
void print_filter(const char *key, const struct vaio_filter_info *f,
		  enum filter_style style);
int disks_using(const char *policy, char ***names, int *n,
		struct vaio_err *err);
void parse_components(int argc, char **argv, struct vaio_chain *chain);
double now(void);

/*
 * print.c: each field written once, as text or into the JSON document
 * (iproute2's json_print). PRINT_FP: text only; PRINT_JSON: JSON only.
 */
enum output_type { PRINT_FP = 1, PRINT_JSON = 2, PRINT_ANY = 3 };
extern bool human;
void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);
void drop_json_key(const char *key);
void __attribute__((format(printf, 1, 2))) print_text(const char *fmt, ...);
void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *value);
void print_null(enum output_type t, const char *key, const char *fmt,
		const char *text);
void print_bool(enum output_type t, const char *key, const char *fmt,
		bool value);
void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int value);
void print_int(enum output_type t, const char *key, const char *fmt,
	       int value);
void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t value);
void print_s64(enum output_type t, const char *key, const char *fmt,
	       int64_t value);
void print_float(enum output_type t, const char *key, const char *fmt,
		 double value);
void print_size(enum output_type t, const char *key, const char *fmt,
		uint64_t bytes);
void print_count(enum output_type t, const char *key, const char *fmt,
		 uint64_t count);
void print_rate(enum output_type t, const char *key, const char *fmt,
		double value, bool bytes);

/* vaioctl.c */
extern const char usage_filter[];
extern const char usage_policy[];
extern const char usage_disk[];
extern const char usage_cache[];
extern const char usage_stats[];
extern const char usage_event[];
extern const char usage_monitor[];
extern const char usage_apply[];
extern const char usage_repl[];
extern const char usage_crypt[];
extern const char usage_cbt[];
void __attribute__((noreturn)) usage(const char *text, int code);
bool is_help(const char *s);
void want_args(int argc, char **argv, int n, const char *text);

/* filter.c */
int filter_list(int argc, char **argv);
int filter_reactivate(int argc, char **argv);
int filter_call(int argc, char **argv);

/* policy.c */
int policy_create(int argc, char **argv);
long long filter_word(const struct vaio_disk_info *d, const char *type,
		      const char *key);
int cache_drain(const char *name, const struct vaio_chain *chain,
		struct vaio_err *err);
int policy_edit(int argc, char **argv);
int policy_show(int argc, char **argv);
int policy_list(int argc, char **argv);
int policy_delete(int argc, char **argv);
int policy_assign(int argc, char **argv);
int policy_unassign(int argc, char **argv);

/* disk.c */
int disk_create(int argc, char **argv);
int disk_remove(int argc, char **argv);
/* How print_disk() writes a disk in the text. */
enum disk_style { DISK_SHOW, DISK_ROW, DISK_EVENT, DISK_JSON };
void print_disk(const struct vaio_disk_info *k, const struct vaio_disk_conf *c,
		bool conf, bool unreadable, const char *name,
		enum disk_style style);
void filters_line(const struct vaio_disk_info *k, char *buf, size_t len);
int disk_list(int argc, char **argv);
int disk_show(int argc, char **argv);

/* stats.c */
int stats(int argc, char **argv);

/* monitor.c */
int event(int argc, char **argv);
int monitor(int argc, char **argv);

/* pool.c */
int cache(int argc, char **argv);
/*
 * What libblkid finds on block device @dev (a file system, a partition
 * table, LUKS, a vaio cache pool...), into @what: "" for nothing, or if
 * it cannot be opened exclusively (in use) or read.
 */
void device_signature(const char *dev, char *what, size_t len);
/* Live pool @name's block size in bytes; 0 if it cannot be read. */
uint32_t pool_block_size(const char *name);

/* apply.c */
int apply(int argc, char **argv);

/* repl.c */
int repl(int argc, char **argv);

/* disk.c */
/*
 * Dies unless block device @dev (of identity @id, "" for none) is no
 * recorded disk's already: by the same device now, or the same identity.
 */
void disk_device_unused(const char *dev, const char *id);

/* crypt.c */
/*
 * Whether block device @dev may take policy @p (disk create, apply): not
 * if @p has crypt and @dev holds a LUKS header (the filter would write
 * over it), nor if @dev is a LUKS2 data area (vaio-NAME-data) and @p's
 * crypt component is missing or not the header's (key vaio:NAME, its
 * size and sector size). 0, or -errno with @err said.
 */
int crypt_device_check(const char *dev, const struct vaio_policy *p,
		       struct vaio_err *err);
int crypt_format_cmd(int argc, char **argv);
int crypt_open_cmd(int argc, char **argv);
int crypt_close_cmd(int argc, char **argv);
int crypt_add_key_cmd(int argc, char **argv);
int crypt_remove_key_cmd(int argc, char **argv);
int crypt_status_cmd(int argc, char **argv);
/* cbt.c */
int cbt(int argc, char **argv);

#endif
