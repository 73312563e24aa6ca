// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the helpers its objects share: errors, the configuration's lock
 * and the signals it holds, shortened words, the netlink socket, JSON
 * output, the disks a policy is on, the time.
 */
#include "vaioctl.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

bool json_out;
int json_flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
static struct vaio_nl *nl_sock;

static void release_held(void);

void __attribute__((format(printf, 2, 3), noreturn))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vaioctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	release_held();		/* a signal that waited ends us as it would have */
	exit(code);
}

void __attribute__((noreturn)) die_err(const struct vaio_err *err)
{
	die(EXIT_FAIL, "%s", err->msg);
}

volatile sig_atomic_t stop;

void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

sigset_t held_mask, old_mask;
int conf_lock_fd = -1;
static bool held;		/* the signals of held_mask are blocked */
static const int held_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/*
 * The configuration's lock. From it until unlock_conf(), a change is made
 * in the kernel and recorded, or neither: SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT are blocked, so that no step of it fails for them either (a dm
 * suspend waits interruptibly), and wait for the end; a write-back
 * cache's drain, the one long step, looks for them (held_signal()) and
 * ends before its disk is changed. A Ctrl-C between the kernel change and
 * the record used to leave a record that the next apply turned back, or a
 * disk suspended with a table loaded.
 */
int lock_conf(struct vaio_err *err)
{
	struct sigaction sa;
	sigset_t start;
	size_t i;
	int fd;

	/*
	 * Those we were started to ignore (nohup, a background job) or to
	 * block stay as they were.
	 */
	sigprocmask(SIG_BLOCK, NULL, &start);
	sigemptyset(&held_mask);
	for (i = 0; i < sizeof(held_signals) / sizeof(held_signals[0]); i++)
		if (!sigaction(held_signals[i], NULL, &sa) && sa.sa_handler != SIG_IGN &&
		    !sigismember(&start, held_signals[i]))
			sigaddset(&held_mask, held_signals[i]);
	/* Waiting for it, a Ctrl-C ends the command: nothing changed yet. */
	fd = vaio_conf_lock(err);
	if (fd >= 0) {
		sigprocmask(SIG_BLOCK, &held_mask, &old_mask);
		held = true;
	}
	conf_lock_fd = fd;
	return fd;
}

/* Which of the signals lock_conf() blocks waits, or 0. */
int held_signal(void)
{
	sigset_t set;
	size_t i;

	if (sigpending(&set))
		return 0;
	for (i = 0; i < sizeof(held_signals) / sizeof(held_signals[0]); i++)
		if (sigismember(&held_mask, held_signals[i]) &&
		    sigismember(&set, held_signals[i]))
			return held_signals[i];
	return 0;
}

/* The held signals let through: one that waited ends vaioctl now. */
static void release_held(void)
{
	if (!held)
		return;
	held = false;
	fflush(NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
}

/*
 * The lock given back; a signal that waited now ends vaioctl as it would
 * have (a shell running a loop of vaioctl commands then stops too).
 */
void unlock_conf(int fd)
{
	vaio_conf_unlock(fd);
	conf_lock_fd = -1;
	if (held_signal())
		fprintf(stderr, "vaioctl: interrupted, after the change was made and recorded\n");
	release_held();
}

/*
 * Which of @names (NULL-ended) @word is, as ip reads "ip l" as "ip link":
 * the same, an alias (ls list, rm remove, del delete or remove), or the
 * beginning of one name only. Returns that name, or @word itself if none
 * (the caller says it is unknown); a beginning of several is a usage
 * error, with the candidates. Commands that remove or change roles or
 * every disk are never shortened: a typo must not run one.
 */
/* @word begins @name, and @name may be shortened (see expand()). */
static bool shortens(const char *word, const char *name)
{
	static const char *const whole[] = {
		"remove", "delete", "unassign", "promote", "demote", "disconnect",
		"apply", "format", "close", "remove-key", NULL,
	};
	size_t k;

	if (!word[0] || strncmp(word, name, strlen(word)))
		return false;
	for (k = 0; whole[k]; k++)
		if (!strcmp(whole[k], name))
			return false;
	return true;
}

const char *expand(const char *word, const char *const *names)
{
	static const char *const aliases[][2] = {
		{ "ls", "list" }, { "rm", "remove" }, { "del", "delete" },
		{ "del", "remove" },
	};
	const char *found = NULL;
	size_t i;
	int n = 0;

	for (i = 0; names[i]; i++)
		if (!strcmp(word, names[i]))
			return names[i];
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		const char *const *x;

		if (strcmp(word, aliases[i][0]))
			continue;
		for (x = names; *x; x++)
			if (!strcmp(*x, aliases[i][1]))
				return *x;
	}
	for (i = 0; names[i]; i++) {
		if (shortens(word, names[i])) {
			found = names[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	if (n > 1) {
		fprintf(stderr, "vaioctl: '%s' is ambiguous:", word);
		for (i = 0; names[i]; i++)
			if (shortens(word, names[i]))
				fprintf(stderr, " %s", names[i]);
		fprintf(stderr, "\n");
		exit(EXIT_USAGE);
	}
	return word;
}

struct vaio_nl *nl(void)
{
	struct vaio_err err;

	if (!nl_sock) {
		nl_sock = vaio_nl_open(false, &err);
		if (!nl_sock)
			die_err(&err);
	}
	return nl_sock;
}

void print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, json_flags));
	json_object_put(obj);
	fflush(stdout);
}

void check_name(const char *what, const char *name)
{
	if (!vaio_valid_name(name))
		die(EXIT_FAIL, "%s name '%.64s%s' is invalid: use 1 to 63 of A-Z a-z 0-9 . _ : -",
		    what, name, strlen(name) > 64 ? "..." : "");
}

/*
 *--------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------
 */

const char *param_type_name(int t)
{
	switch (t) {
	case VAIO_PARAM_UINT:
		return "uint";
	case VAIO_PARAM_BOOL:
		return "bool";
	case VAIO_PARAM_ENUM:
		return "enum";
	case VAIO_PARAM_STRING:
		return "string";
	}
	return "unknown";
}

const char *fail_name(int mode)
{
	return mode == VAIO_FAIL_MODE_CLOSED ? "closed" : "open";
}

/* The live disk named @name (dm name or disk_id); -ENODEV if none. */
int find_disk(const char *name, struct vaio_disk_info *out,
		     struct vaio_err *err)
{
	return vaio_disk_find(nl(), name, true, out, err);
}

/*
 * Filter @f as an object of the open array or object (@key), and in the
 * text as @style says: disk show's lines, stats' line, monitor's words
 * (after the disk_id), or none.
 */
void print_filter(const char *key, const struct vaio_filter_info *f,
		  enum filter_style style)
{
	static const struct {
		const char *type, *class, *state, *fail, *reason, *status;
	} fmts[] = {
		[FILTER_SHOW] = { "    filter %s", " class %s", " state %s",
				  " fail %s\n", "        reason %s\n",
				  "        status %s\n" },
		[FILTER_STATS] = { "    %s", NULL, " (%s)", NULL, NULL, ": %s\n" },
		[FILTER_EVENT] = { " %s", NULL, " %s", NULL, ": %s", NULL },
		[FILTER_JSON] = { },
	};
	char keys[64][VAIO_NAME_MAX], values[64][VAIO_ARG_MAX];
	bool show = style == FILTER_SHOW;
	char *end;
	int i, n;

#define T(fmt) ((fmt) ? PRINT_ANY : PRINT_JSON)
	open_json_object(key);
	print_string(T(fmts[style].type), "type", fmts[style].type, f->type);
	print_string(T(fmts[style].class), "class", fmts[style].class,
		     vaio_class_name(f->class));
	print_string(T(fmts[style].state), "state", fmts[style].state,
		     vaio_state_name(f->state));
	print_string(T(fmts[style].fail), "fail", fmts[style].fail,
		     fail_name(f->fail_mode));
	if (f->fail_reason[0])
		print_string(T(fmts[style].reason), "fail_reason",
			     fmts[style].reason, f->fail_reason);
	if (show)
		print_text("        args%s", f->argc ? "" : " -");
	open_json_array("args");
	for (i = 0; i < f->argc; i++)
		print_string(show ? PRINT_ANY : PRINT_JSON, NULL, " %s", f->argv[i]);
	close_json_array();
	if (show)
		print_text("\n");
	/* The status words: as one line in the text, keys and values in JSON. */
	if (fmts[style].status)
		print_text(fmts[style].status, f->status[0] ? f->status : "-");
	open_json_object("status");
	n = vaio_status_pairs(f->status, keys, values, 64);
	for (i = 0; i < n; i++) {
		unsigned long long v = strtoull(values[i], &end, 10);

		if (values[i][0] && !*end && values[i][0] != '-')
			print_u64(PRINT_JSON, keys[i], NULL, v);
		else
			print_string(PRINT_JSON, keys[i], NULL, values[i]);
	}
	close_json_object();
	close_json_object();
#undef T
}

/* Disks (by configuration) that use policy @policy. */
int disks_using(const char *policy, char ***names, int *n,
		       struct vaio_err *err)
{
	struct vaio_disk_conf d;
	char **all;
	int na, i, r;

	*names = NULL;
	*n = 0;
	r = vaio_disk_names(&all, &na, err);
	if (r)
		return r;
	*names = calloc(na + 1, sizeof(char *));
	for (i = 0; i < na && *names; i++) {
		/* A record that does not read may use it: say so, change nothing. */
		r = vaio_disk_conf_load(all[i], &d, err);
		if (r) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			vaio_names_free(*names, *n);
			*names = NULL;
			*n = 0;
			vaio_names_free(all, na);
			return vaio_seterr(err, -r, "%.200s (the disk's record must read before its policy changes)",
					   why);
		}
		if (!strcmp(d.policy, policy))
			(*names)[(*n)++] = strdup(all[i]);
	}
	vaio_names_free(all, na);
	return *names ? 0 : vaio_seterr(err, ENOMEM, "out of memory");
}

void parse_components(int argc, char **argv, struct vaio_chain *chain)
{
	struct vaio_err err;
	int i;

	memset(chain, 0, sizeof(*chain));
	for (i = 0; i < argc; i++)
		if (vaio_chain_add(chain, argv[i], &err))
			die_err(&err);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
