// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: administer dm-vaio disks, storage policies and filters.
 *
 *   vaioctl [OPTIONS] OBJECT COMMAND [ARGS]
 *
 * See vaioctl(8). Exit status: 0 success, 1 failure, 2 usage error.
 */
#include "vaioctl.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* The project's version: ../VERSION, passed by userspace/Makefile. */
#ifndef VAIO_VERSION
#error "VAIO_VERSION is not defined: build with userspace/Makefile"
#endif

/*
 *--------------------------------------------------------------
 * Usage
 *--------------------------------------------------------------
 */

static const char usage_main[] =
"Usage: vaioctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
"OBJECT := filter | policy | disk | cache | stats | event | monitor | apply | repl | crypt | cbt\n"
"OPTIONS := -j|--json  -p|--pretty  -C|--confdir DIR  -h|--help  -V|--version\n"
"           (-j, -p and -C also after OBJECT)\n"
"\n"
"  vaioctl filter list\n"
"  vaioctl filter reactivate DISK FILTER\n"
"  vaioctl filter call DISK FILTER CMD [NUM=VALUE...] [--dump]\n"
"  vaioctl policy create|edit NAME COMPONENT...\n"
"  vaioctl policy show NAME | list | delete NAME\n"
"  vaioctl policy assign POLICY DISK | unassign DISK\n"
"  vaioctl disk create NAME DEVICE [--policy POLICY]\n"
"  vaioctl disk remove NAME | list | show NAME\n"
"  vaioctl cache pool create NAME DEVICE... [--memory SIZE] [--block-size SIZE]\n"
"                             [--uuid UUID | --force]\n"
"  vaioctl cache pool remove NAME | list | show NAME\n"
"  vaioctl stats [DISK...] [--top N] [--sort KEY] [--watch [SECONDS]] [--count N] [--raw]\n"
"  vaioctl event snapshot DISK TAG\n"
"  vaioctl monitor [--count N] [--timestamp]\n"
"  vaioctl apply [--down]\n"
"  vaioctl repl status [DISK] | init DISK --primary [--skip-initial-sync] |\n"
"               init DISK --secondary | promote DISK [--force] [--mark TAG] |\n"
"               demote DISK [--force] [--timeout SECONDS] |\n"
"               disconnect DISK |\n"
"               wait DISK [--conn STATE] [--synced] [--timeout SECONDS] |\n"
"               verify DISK [--stop] [--no-wait] [--timeout SECONDS] |\n"
"               marks DISK\n"
"  vaioctl crypt format DEVICE [--key-file F] [--key-size 256|512] [--sector-size 512|4096] [--force]\n"
"  vaioctl crypt open DEVICE NAME [--key-file F] | close NAME\n"
"  vaioctl crypt add-key DEVICE | remove-key DEVICE | status DEVICE\n"
"  vaioctl cbt status DISK | mark DISK | changes DISK --since CHANGEID\n"
"\n"
"COMPONENT := TYPE[:KEY=VALUE[,KEY=VALUE]...]   (KEY fail=open|closed)\n";

const char usage_filter[] =
"Usage: vaioctl filter list\n"
"       vaioctl filter reactivate DISK FILTER\n"
"       vaioctl filter call DISK FILTER CMD [NUM=VALUE...] [--dump]\n"
"  list: the registered filter types in class order, with their parameters.\n"
"  reactivate: make a failed or bypassed filter (type or class name) active.\n"
"  call: the filter's own netlink command CMD (a number), for filter\n"
"    developers: attribute NUM (1-16383) of the request's FILTER_DATA is\n"
"    VALUE: u8:N u16:N u32:N u64:N s:TEXT x:HEXBYTES, or empty for a flag;\n"
"    without a prefix a number (decimal or 0x) is a u32, or a u64 if it\n"
"    needs more, anything else a string. Prints the answer's attributes,\n"
"    one per line (NUM=VALUE; a nest NUM: NUM=VALUE ...); --dump: a dump.\n";

const char usage_policy[] =
"Usage: vaioctl policy create NAME COMPONENT...\n"
"       vaioctl policy edit NAME COMPONENT...\n"
"       vaioctl policy show NAME\n"
"       vaioctl policy list\n"
"       vaioctl policy delete NAME\n"
"       vaioctl policy assign POLICY DISK\n"
"       vaioctl policy unassign DISK\n"
"COMPONENT := TYPE[:KEY=VALUE[,KEY=VALUE]...]\n"
"  One component per filter class; KEY fail=open|closed sets what a failure\n"
"  of the filter does (default open: bypass it). edit replaces the components\n"
"  and re-applies the policy to every disk that uses it, all or none.\n";

const char usage_disk[] =
"Usage: vaioctl disk create NAME DEVICE [-P|--policy POLICY]\n"
"       vaioctl disk remove NAME\n"
"       vaioctl disk list\n"
"       vaioctl disk show NAME\n"
"  create: a vaio device /dev/mapper/NAME over block device DEVICE.\n";

const char usage_cache[] =
"Usage: vaioctl cache pool create NAME DEVICE... [-m|--memory SIZE]\n"
"                 [-b|--block-size SIZE] [-u|--uuid UUID] [-f|--force]\n"
"       vaioctl cache pool remove NAME\n"
"       vaioctl cache pool list\n"
"       vaioctl cache pool show NAME\n"
"  A cache pool is the host's cache tier on fast DEVICEs, /dev/mapper/NAME,\n"
"  shared by the disks whose policy has a cache:pool=NAME component. Several\n"
"  DEVICEs are joined in their order by a linear device, NAME-tier.\n"
"  --memory: a memory tier in front of them, SIZE MiB or with a suffix K, M,\n"
"  G or T (1024-based): a whole number of MiB; for now only with 4K blocks.\n"
"  --block-size: the cache's unit of allocation and of I/O to it, SIZE bytes\n"
"  or with a suffix K or M: a power of two from 4K (the default) to 1M.\n"
"  Larger blocks take less RAM per TiB of cache (about 40 bytes a block);\n"
"  reads and writes that do not cover whole blocks are not cached. remove\n"
"  refuses a pool that a disk uses.\n";

const char usage_stats[] =
"Usage: vaioctl stats [DISK...] [-t|--top N] [-s|--sort KEY]\n"
"                     [-w|--watch [SECONDS]] [-c|--count N] [-r|--raw]\n"
"KEY := iops | reads | writes | bytes | read_bytes | write_bytes | flushes |\n"
"       discards | errors | cache_hits | throttled   (default iops)\n"
"  cache_hits: read and write hits of the disk's cache filter.\n"
"  throttled: ms its bios were held by the limits of its qos filter.\n"
"  Without --watch: totals since each disk's table was loaded. With --watch:\n"
"  rates per second every SECONDS (default 1), --count times (default: until\n"
"  interrupted). Bytes in KiB, MiB, GiB... and counts in k, M, G... (powers\n"
"  of 1000), one decimal below 10; --raw (and -j): exact numbers.\n";

const char usage_cbt[] =
"Usage: vaioctl cbt status DISK\n"
"       vaioctl cbt mark DISK\n"
"       vaioctl cbt changes DISK -s|--since CHANGEID\n"
"  Changed-block tracking of DISK's cbt filter (Documentation/backup.rst).\n"
"  status: generation, current epoch, the changeId of the start.\n"
"  mark: closes the current epoch; prints the changeId of the point,\n"
"    GENERATION:EPOCH.\n"
"  changes: the extents written since CHANGEID, one per line, start and\n"
"    length in bytes. A changeId of another generation (tracking was lost\n"
"    since: a full backup is needed) or of no mark is refused.\n";

const char usage_event[] =
"Usage: vaioctl event snapshot DISK TAG\n"
"  Deliver a snapshot control event to every filter of DISK, in class order;\n"
"  a filter may veto it.\n";

const char usage_monitor[] =
"Usage: vaioctl monitor [-c|--count N] [-t|--timestamp]\n"
"  Print disk, filter and control-event notifications as they happen.\n";

const char usage_apply[] =
"Usage: vaioctl apply [--down]\n"
"  Create every disk recorded in the configuration that does not exist and\n"
"  bring every disk's filters in line with its policy (after a reboot).\n"
"  --down: remove every recorded disk's device, then every recorded pool's\n"
"  (at shutdown); the records stay.\n";

const char usage_repl[] =
"Usage: vaioctl repl [status [DISK]]\n"
"       vaioctl repl init DISK --primary [--skip-initial-sync]\n"
"       vaioctl repl init DISK --secondary\n"
"       vaioctl repl promote DISK [-f|--force] [--mark TAG]\n"
"       vaioctl repl demote DISK [-f|--force] [-t|--timeout SECONDS]\n"
"       vaioctl repl disconnect DISK\n"
"       vaioctl repl wait DISK [--conn STATE] [--synced] [-t|--timeout SECONDS]\n"
"       vaioctl repl verify DISK [--stop] [--no-wait] [-t|--timeout SECONDS]\n"
"       vaioctl repl marks DISK\n"
"STATE := standalone | waiting | connected | sync-source | sync-target\n"
"  Disks with a replication filter (dm-vaio-replication), by disk_id.\n"
"  init: the role of a new pair's disk; --skip-initial-sync: the two disks\n"
"  are known to be equal (both new and zeroed), no first full resync.\n"
"  promote --force: even while connected to a primary, or inconsistent;\n"
"  --mark TAG: only if this replica is exactly at snapshot mark TAG.\n"
"  marks: the snapshot marks (vaioctl event snapshot on the primary) this\n"
"  side keeps, newest first: held on the replica, writes since.\n"
"  demote refuses while the device is open, and waits (at most SECONDS,\n"
"  default 60) until the peer has confirmed every write, connected;\n"
"  --force: also discard this disk's data (a full resync from the primary\n"
"  follows).\n"
"  wait: until conn is STATE, or with --synced until connected with\n"
"  nothing out of sync and no lag; at most SECONDS (default 60).\n"
"  verify (on a connected primary): compares both disks by checksums of\n"
"  each 4 KiB, waits for the end (--no-wait: not) and reports; blocks\n"
"  that differ are marked out of sync and resynced. Exit 1 if any differ.\n";

const char usage_crypt[] =
"Usage: vaioctl crypt format DEVICE [-k|--key-file FILE] [--key-size BITS]\n"
"                    [--sector-size BYTES] [--pbkdf-iterations N] [-f|--force]\n"
"       vaioctl crypt open DEVICE NAME [-k|--key-file FILE]\n"
"       vaioctl crypt close NAME\n"
"       vaioctl crypt add-key DEVICE [-k|--key-file FILE] [--new-key-file FILE]\n"
"                    [--pbkdf-iterations N]\n"
"       vaioctl crypt remove-key DEVICE [-k|--key-file FILE]\n"
"       vaioctl crypt status DEVICE\n"
"BITS := 256 | 512 (default 512)   BYTES := 512 | 4096 (default 512)\n"
"  LUKS2 headers (aes-xts-plain64) for the crypt filter, through libcryptsetup.\n"
"  Passphrases: a key file's bytes, else a line of standard input (typed at a\n"
"  terminal; add-key: the existing one, then the new one).\n"
"  format: refuses a device in use, or that holds a signature unless --force\n"
"    (then wiped). --pbkdf-iterations: pbkdf2 with N iterations (at least\n"
"    1000) rather than a benchmarked argon2id: for tests only, weak.\n"
"  open: unlocks the header (a token first, if it has any), puts its key\n"
"    into the user keyring as the logon key vaio:NAME and makes\n"
"    /dev/mapper/vaio-NAME-data over its data area; prints that device and\n"
"    the crypt: component for a vaio disk on it.\n"
"  close: removes vaio-NAME-data (refused while a disk is on it) and the key.\n"
"  remove-key: the keyslot its passphrase opens (never the last one).\n";

void __attribute__((noreturn)) usage(const char *text, int code)
{
	fputs(text, code ? stderr : stdout);
	exit(code);
}

bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

/* Exactly @n positional arguments, or usage. -h anywhere: help. */
void want_args(int argc, char **argv, int n, const char *text)
{
	int i;

	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			usage(text, EXIT_OK);
	if (argc < n) {
		fprintf(stderr, "vaioctl: missing argument\n");
		usage(text, EXIT_USAGE);
	}
	if (argc > n) {
		fprintf(stderr, "vaioctl: unexpected argument '%s'\n", argv[n]);
		usage(text, EXIT_USAGE);
	}
}

/*
 *--------------------------------------------------------------
 * main
 *--------------------------------------------------------------
 */

static const struct cmd cmds[] = {
	{ "filter", "list", filter_list, usage_filter },
	{ "filter", "reactivate", filter_reactivate, usage_filter },
	{ "filter", "call", filter_call, usage_filter },
	{ "policy", "create", policy_create, usage_policy },
	{ "policy", "edit", policy_edit, usage_policy },
	{ "policy", "show", policy_show, usage_policy },
	{ "policy", "list", policy_list, usage_policy },
	{ "policy", "delete", policy_delete, usage_policy },
	{ "policy", "assign", policy_assign, usage_policy },
	{ "policy", "unassign", policy_unassign, usage_policy },
	{ "disk", "create", disk_create, usage_disk },
	{ "disk", "remove", disk_remove, usage_disk },
	{ "disk", "list", disk_list, usage_disk },
	{ "disk", "show", disk_show, usage_disk },
	{ "cache", NULL, cache, usage_cache },
	{ "stats", NULL, stats, usage_stats },
	{ "event", NULL, event, usage_event },
	{ "monitor", NULL, monitor, usage_monitor },
	{ "apply", NULL, apply, usage_apply },
	{ "repl", NULL, repl, usage_repl },
	{ "crypt", "format", crypt_format_cmd, usage_crypt },
	{ "crypt", "open", crypt_open_cmd, usage_crypt },
	{ "crypt", "close", crypt_close_cmd, usage_crypt },
	{ "crypt", "add-key", crypt_add_key_cmd, usage_crypt },
	{ "crypt", "remove-key", crypt_remove_key_cmd, usage_crypt },
	{ "crypt", "status", crypt_status_cmd, usage_crypt },
	{ "cbt", NULL, cbt, usage_cbt },
	{ }
};

/*
 * Whether @word, an option of a command whose usage text is @text, takes
 * the next word as its value: the text writes it "--NAME VALUE" or
 * "-X|--NAME VALUE", VALUE in capitals ("--NAME [VALUE]": an optional
 * value, never the next word). @word may be a long name shortened as
 * getopt_long allows, or short options run together ("-ft": -f -t).
 */
static bool takes_value(const char *text, const char *word)
{
	size_t wlen = strlen(word), n;
	const char *p, *name;
	bool valued;

	if (word[0] != '-' || !word[1] || strchr(word, '='))
		return false;
	for (p = strstr(text, "--"); p; p = strstr(p + 1, "--")) {
		name = p + 2;
		n = strspn(name, "abcdefghijklmnopqrstuvwxyz-");
		if (!n || (p > text && !strchr(" [|", p[-1])))
			continue;
		valued = name[n] == ' ' && isupper((unsigned char)name[n + 1]);
		if (!valued)
			continue;
		/* --NAME, or a beginning of it. */
		if (word[1] == '-' && wlen > 2 && wlen - 2 <= n &&
		    !strncmp(word + 2, name, wlen - 2))
			return true;
		/* -X|--NAME: -X last of a run of short options. */
		if (word[1] != '-' && p - text >= 3 && p[-1] == '|' &&
		    p[-3] == '-' && word[wlen - 1] == p[-2])
			return true;
	}
	return false;
}

/*
 * The global options after the object too, as "vaioctl disk list -j":
 * -j, -p (or both as -jp), -C DIR and their long forms, taken out of
 * @argv (@argv[0] the object, @text its usage) up to a "--", where
 * getopt would see an option: never the value of a command's option
 * ("repl promote d0 --mark -j": a mark -j). No command has options of
 * those letters.
 */
static void global_options_after(int *argc, char **argv, const char *text)
{
	int i = 1, take, k;

	while (i < *argc && strcmp(argv[i], "--")) {
		const char *a = argv[i];

		take = 1;
		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json_out = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			json_flags = JSON_PRETTY;
		} else if (!strcmp(a, "-jp") || !strcmp(a, "-pj")) {
			json_out = true;
			json_flags = JSON_PRETTY;
		} else if (!strcmp(a, "-C") || !strcmp(a, "--confdir")) {
			if (i + 1 == *argc)
				die(EXIT_USAGE, "%s needs a directory", a);
			vaio_conf_set_dir(argv[i + 1]);
			take = 2;
		} else if (!strncmp(a, "--confdir=", 10)) {
			if (!a[10])
				die(EXIT_USAGE, "--confdir= needs a directory");
			vaio_conf_set_dir(a + 10);
		} else {
			/* A command's option: its value, if it has one, too. */
			i += text && takes_value(text, a) ? 2 : 1;
			continue;
		}
		for (k = i; k + take <= *argc; k++)
			argv[k] = argv[k + take];
		*argc -= take;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "confdir", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	const char *objects[16], *commands[16];
	const struct cmd *c, *obj = NULL;
	int opt, n;

	while ((opt = getopt_long(argc, argv, "+jpC:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json_out = true;
			break;
		case 'p':
			json_flags = JSON_PRETTY;
			break;
		case 'C':
			if (!*optarg)
				die(EXIT_USAGE, "--confdir needs a directory");
			vaio_conf_set_dir(optarg);
			break;
		case 'h':
			usage(usage_main, EXIT_OK);
		case 'V':
			printf("vaioctl %s\n", VAIO_VERSION);
			return EXIT_OK;
		default:
			usage(usage_main, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc)
		usage(usage_main, EXIT_USAGE);
	if (is_help(argv[0]))
		usage(usage_main, EXIT_OK);

	/* Objects and their commands may be shortened (expand()). */
	for (c = cmds, n = 0; c->object; c++)
		if (!n || strcmp(objects[n - 1], c->object))
			objects[n++] = c->object;
	objects[n] = NULL;
	argv[0] = (char *)expand(argv[0], objects);
	for (c = cmds; c->object && strcmp(c->object, argv[0]); c++)
		;
	global_options_after(&argc, argv, c->usage);
	if (argc > 1 && !is_help(argv[1])) {
		for (c = cmds, n = 0; c->object; c++)
			if (!strcmp(c->object, argv[0]) && c->command)
				commands[n++] = c->command;
		commands[n] = NULL;
		argv[1] = (char *)expand(argv[1], commands);
	}
	for (c = cmds; c->object; c++) {
		if (strcmp(c->object, argv[0]))
			continue;
		obj = c;
		if (!c->command)
			return c->fn(argc - 1, argv + 1);
		if (argc > 1 && !strcmp(c->command, argv[1]))
			return c->fn(argc - 2, argv + 2);
	}
	if (!obj) {
		fprintf(stderr, "vaioctl: unknown object '%s'\n", argv[0]);
		usage(usage_main, EXIT_USAGE);
	}
	if (argc > 1 && is_help(argv[1]))
		usage(obj->usage, EXIT_OK);
	if (argc > 1)
		fprintf(stderr, "vaioctl: unknown command '%s %s'\n", argv[0], argv[1]);
	else
		fprintf(stderr, "vaioctl: %s needs a command\n", argv[0]);
	usage(obj->usage, EXIT_USAGE);
}
