// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the policy object: create, edit, show, list, delete, assign,
 * unassign.
 */
#include "vaioctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


/*
 *--------------------------------------------------------------
 * policy
 *--------------------------------------------------------------
 */

/*
 * Policy @p and the disks @disks[0..nd) that use it: a paragraph, or an
 * object {"policy", "components", "disks"}.
 */
static void print_policy(const struct vaio_policy *p, char **disks, int nd)
{
	char buf[VAIO_ARG_MAX * 4];
	int i;

	open_json_object(NULL);
	print_string(PRINT_ANY, "policy", "policy %s\n", p->name);
	open_json_array("components");
	for (i = 0; i < p->chain.n; i++) {
		vaio_component_format(&p->chain.c[i], buf, sizeof(buf));
		print_string(PRINT_ANY, NULL, "    %s\n", buf);
	}
	close_json_array();
	print_text("    disks:");
	open_json_array("disks");
	for (i = 0; i < nd; i++)
		print_string(PRINT_ANY, NULL, " %s", disks[i]);
	close_json_array();
	print_text("%s\n", nd ? "" : " (none)");
	close_json_object();
}

/* NAME COMPONENT... of policy create and edit, into @p. */
static void policy_args(const char *cmd, int argc, char **argv,
			struct vaio_policy *p)
{
	int i;

	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			usage(usage_policy, EXIT_OK);
	if (argc < 2) {
		fprintf(stderr, "vaioctl: policy %s needs a NAME and at least one COMPONENT\n",
			cmd);
		usage(usage_policy, EXIT_USAGE);
	}
	check_name("policy", argv[0]);
	memset(p, 0, sizeof(*p));
	strcpy(p->name, argv[0]);
	parse_components(argc - 1, argv + 1, &p->chain);
}

/*
 * Dies unless the kernel takes @p's chain, each component without "fail="
 * given its type's fail mode first: a type not registered yet (module not
 * loaded) is known after the first check, which loads it.
 */
static void check_chain(struct vaio_policy *p)
{
	struct vaio_err err;
	int unknown;

	unknown = vaio_chain_fail_defaults(nl(), &p->chain, &err);
	if (unknown < 0)
		die_err(&err);
	if (!vaio_chain_check(nl(), &p->chain, &err))
		return;
	if (unknown && vaio_chain_fail_defaults(nl(), &p->chain, &err) == 0 &&
	    !vaio_chain_check(nl(), &p->chain, &err))
		return;
	die(EXIT_FAIL, "policy %s: %s", p->name, err.msg);
}

int policy_create(int argc, char **argv)
{
	struct vaio_policy p;
	struct vaio_err err;
	int lock;

	policy_args("create", argc, argv, &p);
	lock = lock_conf(&err);
	if (lock < 0)
		die_err(&err);
	if (vaio_policy_exists(p.name))
		die(EXIT_FAIL, "policy %s exists already (vaioctl policy edit changes it)",
		    p.name);
	check_chain(&p);
	if (vaio_policy_save(&p, &err))
		die_err(&err);
	unlock_conf(lock);
	return EXIT_OK;
}

/* The value of @key in the status of @d's filter of type @type, or -1. */
long long filter_word(const struct vaio_disk_info *d, const char *type,
			     const char *key)
{
	char keys[64][VAIO_NAME_MAX], values[64][VAIO_ARG_MAX];
	int i, n;

	for (i = 0; i < d->nfilters; i++) {
		if (strcmp(d->filters[i].type, type))
			continue;
		n = vaio_status_pairs(d->filters[i].status, keys, values, 64);
		while (n-- > 0)
			if (!strcmp(keys[n], key))
				return strtoll(values[n], NULL, 10);
	}
	return -1;
}

/*
 * The block size of the pool live disk @d's cache filter uses (its
 * status names it) in KiB; 4 if it cannot be read.
 */
static long long cache_block_kib(const struct vaio_disk_info *d)
{
	char keys[64][VAIO_NAME_MAX], values[64][VAIO_ARG_MAX];
	uint32_t bs = 0;
	int i, n;

	for (i = 0; i < d->nfilters && !bs; i++) {
		if (strcmp(d->filters[i].type, "cache"))
			continue;
		n = vaio_status_pairs(d->filters[i].status, keys, values, 64);
		while (n-- > 0 && !bs)
			if (!strcmp(keys[n], "pool"))
				bs = pool_block_size(values[n]);
	}
	return bs ? bs / 1024 : 4;
}

/* Does @chain cache in write-back mode? */
static bool chain_writeback(const struct vaio_chain *chain)
{
	int i, j;

	for (i = 0; i < chain->n; i++) {
		if (strcmp(chain->c[i].type, "cache"))
			continue;
		for (j = 0; j < chain->c[i].argc; j++)
			if (!strcmp(chain->c[i].argv[j], "mode=writeback"))
				return true;
	}
	return false;
}

/*
 * Before @chain goes on live disk @name: if it ends write-back there and
 * the cache holds dirty blocks, write them back first ("cache writeback",
 * in a child), saying how many are left every second unless -j. The
 * kernel would write them back anyway (in the background after a mode
 * switch, at the reload for a detach); this shows it and keeps the
 * reload short.
 */
int cache_drain(const char *name, const struct vaio_chain *chain,
		       struct vaio_err *err)
{
	struct vaio_disk_info *d = malloc(sizeof(*d));
	long long dirty, last = -1, kib;
	int status, r = 0;
	pid_t pid;

	if (!d)
		return vaio_seterr(err, ENOMEM, "out of memory");
	if (chain_writeback(chain) || find_disk(name, d, err) ||
	    (dirty = filter_word(d, "cache", "dirty")) <= 0)
		goto out;
	kib = cache_block_kib(d);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = vaio_seterr(err, errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		struct vaio_err e;
		int m;

		/* Not the lock (the parent may end first), the signals as before. */
		if (conf_lock_fd >= 0)
			close(conf_lock_fd);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		m = vaio_dm_message(name, "cache writeback", &e);

		/*
		 * EBUSY: the cache may not write them to this disk below (it
		 * is bypassed, or they are another disk below's): the kernel
		 * keeps them in the pool and says why in its log.
		 */
		if (m == -EBUSY) {
			fprintf(stderr, "vaioctl: %s: the cache's dirty blocks cannot go to this disk below now (see the kernel log); they stay in the pool\n",
				name);
			_exit(2);
		}
		if (m) {
			fprintf(stderr, "vaioctl: %s\n", e.msg);
			_exit(1);
		}
		_exit(0);
	}
	for (;;) {
		if (!json_out && dirty != last && dirty > 0)
			fprintf(stderr, "%s: writing back the cache: %lld dirty blocks (%lld KiB) left\n",
				name, dirty, dirty * kib);
		last = dirty;
		/* Interrupted: the disk not changed (the kernel writes on). */
		if (waitpid(pid, &status, WNOHANG) == pid || held_signal())
			break;
		sleep(1);
		if (!find_disk(name, d, err))
			dirty = filter_word(d, "cache", "dirty");
	}
	if (held_signal())	/* before the child's status: maybe not reaped */
		r = vaio_seterr(err, EINTR, "disk %s: interrupted while its cache was written back",
				name);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		r = 0;	/* said why: the reload goes on, the blocks stay */
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		r = vaio_seterr(err, EIO, "disk %s: cannot write back its cache's dirty blocks",
				name);
	else if (!json_out)
		fprintf(stderr, "%s: the cache is written back\n", name);
out:
	free(d);
	if (r == -ENODEV)
		r = 0;	/* not live: nothing to write back */
	return r;
}

/*
 * Applies @chain to the live disks @names[0..n); on a failure puts @old
 * back on those done and fails.
 */
static int apply_all(char **names, int n, const struct vaio_chain *chain,
		     const struct vaio_chain *old, struct vaio_err *err)
{
	struct vaio_err rerr;
	int i, r = 0;

	for (i = 0; i < n; i++) {
		r = vaio_dm_state(names[i], err);
		if (r < 0)
			break;
		if (!r)
			continue;	/* vaioctl apply does it when it is back */
		r = cache_drain(names[i], chain, err);
		if (!r)
			r = vaio_dm_apply(nl(), names[i], chain, err);
		if (r)
			break;
	}
	if (!r)
		return 0;
	while (i-- > 0) {
		/* Cannot say: tried anyway, its failure said. */
		if (vaio_dm_state(names[i], &rerr) &&
		    vaio_dm_apply(nl(), names[i], old, &rerr))
			fprintf(stderr, "vaioctl: rolling back %s failed: %s\n",
				names[i], rerr.msg);
	}
	return r;
}

int policy_edit(int argc, char **argv)
{
	struct vaio_policy p, old;
	struct vaio_err err;
	char **disks;
	int lock, nd;

	policy_args("edit", argc, argv, &p);
	lock = lock_conf(&err);
	if (lock < 0 || vaio_policy_load(p.name, &old, &err))
		die_err(&err);
	check_chain(&p);
	if (disks_using(p.name, &disks, &nd, &err))
		die_err(&err);
	if (apply_all(disks, nd, &p.chain, &old.chain, &err))
		die(EXIT_FAIL, "policy %s unchanged: %s", p.name, err.msg);
	if (vaio_policy_save(&p, &err)) {
		apply_all(disks, nd, &old.chain, &p.chain, NULL);
		die_err(&err);
	}
	vaio_names_free(disks, nd);
	unlock_conf(lock);
	return EXIT_OK;
}

int policy_show(int argc, char **argv)
{
	struct vaio_policy p;
	struct vaio_err err;
	char **disks;
	int nd;

	want_args(argc, argv, 1, usage_policy);
	check_name("policy", argv[0]);
	if (vaio_policy_load(argv[0], &p, &err) ||
	    disks_using(p.name, &disks, &nd, &err))
		die_err(&err);
	print_policy(&p, disks, nd);
	vaio_names_free(disks, nd);
	return EXIT_OK;
}

int policy_list(int argc, char **argv)
{
	struct vaio_policy p;
	struct vaio_err err;
	char **names, **disks;
	int n, nd, i, rc = EXIT_OK;

	want_args(argc, argv, 0, usage_policy);
	if (vaio_policy_names(&names, &n, &err))
		die_err(&err);
	open_json_array(NULL);
	for (i = 0; i < n; i++) {
		if (vaio_policy_load(names[i], &p, &err)) {
			fprintf(stderr, "vaioctl: %s\n", err.msg);
			rc = EXIT_FAIL;
			continue;
		}
		if (disks_using(p.name, &disks, &nd, &err))
			die_err(&err);
		print_policy(&p, disks, nd);
		vaio_names_free(disks, nd);
	}
	close_json_array();
	vaio_names_free(names, n);
	return rc;
}

int policy_delete(int argc, char **argv)
{
	struct vaio_err err;
	char **disks;
	int lock, nd, i;

	want_args(argc, argv, 1, usage_policy);
	check_name("policy", argv[0]);
	lock = lock_conf(&err);
	if (lock < 0)
		die_err(&err);
	/* A broken file may be deleted: only its existence matters. */
	if (!vaio_policy_exists(argv[0]))
		die(EXIT_FAIL, "policy %s does not exist", argv[0]);
	if (disks_using(argv[0], &disks, &nd, &err))
		die_err(&err);
	if (nd) {
		fprintf(stderr, "vaioctl: policy %s is assigned to disk(s)", argv[0]);
		for (i = 0; i < nd; i++)
			fprintf(stderr, " %s", disks[i]);
		fprintf(stderr, "; unassign it first\n");
		exit(EXIT_FAIL);
	}
	vaio_names_free(disks, nd);
	if (vaio_policy_delete(argv[0], &err))
		die_err(&err);
	unlock_conf(lock);
	return EXIT_OK;
}

/* Gives disk @name policy @policy ("" for none): kernel, then the record. */
static int assign(const char *policy, const char *name)
{
	struct vaio_disk_info *live = malloc(sizeof(*live));
	struct vaio_disk_conf d;
	struct vaio_policy p;
	struct vaio_chain old;
	struct vaio_err err, rerr;
	int lock, r;

	if (!live)
		die(EXIT_FAIL, "out of memory");
	check_name("disk", name);
	if (policy[0])
		check_name("policy", policy);
	lock = lock_conf(&err);
	if (lock < 0)
		die_err(&err);
	memset(&p, 0, sizeof(p));
	if (policy[0] && vaio_policy_load(policy, &p, &err))
		die_err(&err);
	if (vaio_disk_conf_load(name, &d, &err))
		die_err(&err);
	r = vaio_dm_state(name, &err);
	if (r < 0)
		die_err(&err);
	if (!r)
		die(EXIT_FAIL, "disk %s is not active (vaioctl apply creates it)", name);
	if (find_disk(name, live, &err))
		die_err(&err);
	/* What to go back to: what is attached now. */
	vaio_chain_from_disk(live, &old);

	if (cache_drain(name, &p.chain, &err) ||
	    vaio_dm_apply(nl(), name, &p.chain, &err))
		die(EXIT_FAIL, "%s; policy not %s", err.msg,
		    policy[0] ? "assigned" : "unassigned");
	strcpy(d.policy, policy);
	if (vaio_disk_conf_save(&d, &err)) {
		if (vaio_dm_apply(nl(), name, &old, &rerr))
			fprintf(stderr, "vaioctl: putting back the filters of %s failed: %s\n",
				name, rerr.msg);
		die_err(&err);
	}
	unlock_conf(lock);
	free(live);
	return EXIT_OK;
}

int policy_assign(int argc, char **argv)
{
	want_args(argc, argv, 2, usage_policy);
	return assign(argv[0], argv[1]);
}

int policy_unassign(int argc, char **argv)
{
	want_args(argc, argv, 1, usage_policy);
	return assign("", argv[0]);
}
