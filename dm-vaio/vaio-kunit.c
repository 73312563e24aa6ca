// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of dm-vaio's pure logic, built into dm-vaio.ko when the kernel
 * has CONFIG_KUNIT (the debug kernel of 'make check-debug'); they run when
 * the module loads and report in /sys/kernel/debug/kunit/.
 */

#include "vaio-internal.h"

#include <kunit/test.h>
#include <linux/string.h>

/*
 * --------------------------------------------------------------
 * Names: disk_ids, filter types, snapshot tags
 * --------------------------------------------------------------
 */

static void vaio_test_valid_names(struct kunit *test)
{
	char longest[VAIO_NAME_MAX], too_long[VAIO_NAME_MAX + 1];

	KUNIT_EXPECT_TRUE(test, vaio_valid_name("vm1"));
	KUNIT_EXPECT_TRUE(test, vaio_valid_name("vm-1_disk.0:a"));
	KUNIT_EXPECT_TRUE(test, vaio_valid_name("254:0"));

	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	KUNIT_EXPECT_TRUE(test, vaio_valid_name(longest));
	memset(too_long, 'x', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	KUNIT_EXPECT_FALSE(test, vaio_valid_name(too_long));
}

static void vaio_test_invalid_names(struct kunit *test)
{
	static const char * const bad[] = {
		"", "a b", "a/b", "a\tb", "vm1;", "x\n", "caf\xc3\xa9", "*",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, vaio_valid_name(bad[i]),
				       "name #%d accepted", i);
}

/*
 * --------------------------------------------------------------
 * Class order and per-bio layout
 * --------------------------------------------------------------
 */

static struct vaio_filter_type t_qos = {
	.name = "k-qos", .class = VAIO_CLASS_QOS, .per_bio_data_size = 3 };
static struct vaio_filter_type t_insp = {
	.name = "k-insp", .class = VAIO_CLASS_INSPECTION, .per_bio_data_size = 0 };
static struct vaio_filter_type t_enc = {
	.name = "k-enc", .class = VAIO_CLASS_ENCRYPTION, .per_bio_data_size = 16 };
static struct vaio_filter_type t_repl = {
	.name = "k-repl", .class = VAIO_CLASS_REPLICATION, .per_bio_data_size = 9 };
static struct vaio_filter_type t_cache = {
	.name = "k-cache", .class = VAIO_CLASS_CACHE, .per_bio_data_size = 8 };

static void vaio_test_chain_order(struct kunit *test)
{
	/* Attached in every order: always qos..cache afterwards. */
	static const int orders[][5] = {
		{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 4, 0, 3, 1}, {1, 0, 4, 2, 3},
	};
	struct vaio_filter_type *types[] = { &t_qos, &t_insp, &t_enc, &t_repl, &t_cache };
	struct vaio_filter f[5], *fs[5];
	int o, i;

	for (o = 0; o < ARRAY_SIZE(orders); o++) {
		memset(f, 0, sizeof(f));
		for (i = 0; i < 5; i++) {
			f[i].type = types[orders[o][i]];
			fs[i] = &f[i];
		}
		vaio_chain_layout(fs, 5);
		for (i = 0; i < 5; i++) {
			KUNIT_EXPECT_EQ(test, fs[i]->type->class, (enum vaio_class)i);
			KUNIT_EXPECT_EQ(test, fs[i]->index, (unsigned int)i);
			KUNIT_EXPECT_EQ(test, fs[i]->below_filters,
					(unsigned int)(4 - i));
		}
	}
}

static void vaio_test_chain_layout(struct kunit *test)
{
	struct vaio_filter f[3] = {
		{ .type = &t_repl }, { .type = &t_qos }, { .type = &t_insp },
	};
	struct vaio_filter *fs[3] = { &f[0], &f[1], &f[2] };
	unsigned int size;

	size = vaio_chain_layout(fs, 3);
	/* qos 3 -> 8 bytes, inspection 0, replication 9 -> 16: aligned to u64. */
	KUNIT_EXPECT_PTR_EQ(test, fs[0], &f[1]);
	KUNIT_EXPECT_EQ(test, fs[0]->data_offset, 0u);
	KUNIT_EXPECT_EQ(test, fs[1]->data_offset, 8u);
	KUNIT_EXPECT_EQ(test, fs[2]->data_offset, 8u);
	KUNIT_EXPECT_EQ(test, size, 24u);
	KUNIT_EXPECT_EQ(test, vaio_chain_layout(fs, 0), 0u);
}

/*
 * --------------------------------------------------------------
 * Status words, names of classes and events
 * --------------------------------------------------------------
 */

static void vaio_test_count_words(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vaio_count_words(""), 0u);
	KUNIT_EXPECT_EQ(test, vaio_count_words("   "), 0u);
	KUNIT_EXPECT_EQ(test, vaio_count_words("maps 1"), 2u);
	KUNIT_EXPECT_EQ(test, vaio_count_words(" a  b c "), 3u);
	KUNIT_EXPECT_EQ(test, vaio_count_words("map_pos 0:12,1:3"), 2u);
}

static void vaio_test_names(struct kunit *test)
{
	int i;

	for (i = 0; i < VAIO_NR_CLASSES; i++)
		KUNIT_EXPECT_TRUE(test, vaio_valid_name(vaio_class_name(i)));
	for (i = 0; i < VAIO_NR_EVENTS; i++)
		KUNIT_EXPECT_TRUE(test, vaio_valid_name(vaio_event_name(i)));
	KUNIT_EXPECT_STREQ(test, vaio_class_name(VAIO_NR_CLASSES), "unknown");
	KUNIT_EXPECT_STREQ(test, vaio_event_name(VAIO_NR_EVENTS), "unknown");
	KUNIT_EXPECT_STREQ(test, vaio_class_name(VAIO_CLASS_QOS), "qos");
	KUNIT_EXPECT_STREQ(test, vaio_class_name(VAIO_CLASS_CACHE), "cache");
}

/*
 * --------------------------------------------------------------
 * Registry
 * --------------------------------------------------------------
 */

/*
 * Static, as a filter module's types are: once registered, a type is on the
 * registry's list, where a FILTER_GET dump of any user may hold it after
 * this test case returned (the registry pins only the owning module).
 */
#define KUNIT_BOTH (VAIO_ALLOW_FAIL_OPEN | VAIO_ALLOW_FAIL_CLOSED)
#define KUNIT_TYPE(n, c, o) \
	{ .name = n, .class = c, .owner = o, .fail_modes = KUNIT_BOTH }
static struct vaio_filter_type reg_ok =
	KUNIT_TYPE("kunit-ok", VAIO_CLASS_CACHE, THIS_MODULE);
static struct vaio_filter_type reg_dup =
	KUNIT_TYPE("kunit-ok", VAIO_CLASS_CACHE, THIS_MODULE);
static struct vaio_filter_type reg_bad_name =
	KUNIT_TYPE("kunit bad", VAIO_CLASS_CACHE, THIS_MODULE);
static struct vaio_filter_type reg_bad_class =
	KUNIT_TYPE("kunit-ok", VAIO_NR_CLASSES, THIS_MODULE);
static struct vaio_filter_type reg_no_owner =
	KUNIT_TYPE("kunit-ok", VAIO_CLASS_CACHE, NULL);
static struct vaio_filter_type reg_big = {
	.name = "kunit-ok", .class = VAIO_CLASS_CACHE, .owner = THIS_MODULE,
	.fail_modes = KUNIT_BOTH, .per_bio_data_size = VAIO_PER_BIO_DATA_MAX + 1 };

static void vaio_test_register(struct kunit *test)
{
	const struct vaio_filter_type *got;

	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_bad_name), -EINVAL);
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_bad_class), -EINVAL);
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_no_owner), -EINVAL);
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_big), -EINVAL);
	KUNIT_ASSERT_EQ(test, vaio_register_filter(&reg_ok), 0);
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_dup), -EEXIST);

	got = vaio_filter_type_get("kunit-ok");
	KUNIT_EXPECT_PTR_EQ(test, got, (const struct vaio_filter_type *)&reg_ok);
	if (got)
		vaio_filter_type_put(got);
	vaio_unregister_filter(&reg_ok);
	/* Gone: the name is free again. */
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_dup), 0);
	vaio_unregister_filter(&reg_dup);
}

/*
 * --------------------------------------------------------------
 * Fail modes
 * --------------------------------------------------------------
 */

static struct vaio_filter_type reg_no_modes = {
	.name = "kunit-ok", .class = VAIO_CLASS_QOS, .owner = THIS_MODULE };
static struct vaio_filter_type reg_bad_modes = {
	.name = "kunit-ok", .class = VAIO_CLASS_QOS, .owner = THIS_MODULE,
	.fail_modes = 4 };
static struct vaio_filter_type reg_enc_open =
	KUNIT_TYPE("kunit-ok", VAIO_CLASS_ENCRYPTION, THIS_MODULE);
static struct vaio_filter_type reg_enc_closed = {
	.name = "kunit-ok", .class = VAIO_CLASS_ENCRYPTION, .owner = THIS_MODULE,
	.fail_modes = VAIO_ALLOW_FAIL_CLOSED };

/* Refuses fail_open when "wb=1" is among the arguments. */
static int kunit_fail_mode_check(enum vaio_fail_mode mode, unsigned int argc,
				 char **argv, const char **reason)
{
	const char *wb = vaio_param(argc, argv, "wb");

	if (mode == VAIO_FAIL_OPEN && wb && !strcmp(wb, "1")) {
		*reason = "kunit: wb=1 needs fail_closed";
		return -EINVAL;
	}
	return 0;
}

static void vaio_test_fail_modes(struct kunit *test)
{
	static const struct vaio_filter_type t_rule = {
		.name = "kunit-rule", .fail_modes = KUNIT_BOTH,
		.ops = { .fail_mode_check = kunit_fail_mode_check } };
	char wb1[] = "wb=1", wb0[] = "wb=0";
	char *argv1[1], *argv0[1];
	const char *error;

	argv1[0] = wb1;
	argv0[0] = wb0;
	/* Declared, known bits only, and no fail_open for encryption. */
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_no_modes), -EINVAL);
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_bad_modes), -EINVAL);
	KUNIT_EXPECT_EQ(test, vaio_register_filter(&reg_enc_open), -EINVAL);
	KUNIT_ASSERT_EQ(test, vaio_register_filter(&reg_enc_closed), 0);
	vaio_unregister_filter(&reg_enc_closed);

	/* The type's modes. */
	KUNIT_EXPECT_EQ(test, vaio_fail_mode_check(&reg_enc_closed, VAIO_FAIL_OPEN,
						   0, NULL, &error), -EINVAL);
	KUNIT_EXPECT_STREQ(test, error, "filter type does not allow fail_open");
	KUNIT_EXPECT_EQ(test, vaio_fail_mode_check(&reg_enc_closed, VAIO_FAIL_CLOSED,
						   0, NULL, &error), 0);
	KUNIT_EXPECT_PTR_EQ(test, error, (const char *)NULL);

	/* Then its rule for the arguments, with its reason. */
	KUNIT_EXPECT_EQ(test, vaio_fail_mode_check(&t_rule, VAIO_FAIL_OPEN,
						   1, argv1, &error), -EINVAL);
	KUNIT_EXPECT_STREQ(test, error, "kunit: wb=1 needs fail_closed");
	KUNIT_EXPECT_EQ(test, vaio_fail_mode_check(&t_rule, VAIO_FAIL_CLOSED,
						   1, argv1, &error), 0);
	KUNIT_EXPECT_EQ(test, vaio_fail_mode_check(&t_rule, VAIO_FAIL_OPEN,
						   1, argv0, &error), 0);
}

/*
 * --------------------------------------------------------------
 * Declared parameters
 * --------------------------------------------------------------
 */

static const struct vaio_param kunit_params[] = {
	{ .name = "mode", .kind = VAIO_PARAM_KIND_ENUM, .choices = "sync|async" },
	{ .name = "ms", .kind = VAIO_PARAM_KIND_UINT, .min = 1, .max = 1000 },
	{ .name = "on", .kind = VAIO_PARAM_KIND_BOOL },
	{ .name = "peer", .kind = VAIO_PARAM_KIND_STRING },
	{ }
};

/* A rule between words, and one refusal without a reason. */
static int kunit_args_check(unsigned int argc, char **argv,
			    const char **reason)
{
	const char *ms = vaio_param(argc, argv, "ms");

	if (vaio_param(argc, argv, "peer") && !vaio_param(argc, argv, "mode")) {
		*reason = "kunit: peer needs mode";
		return -EINVAL;
	}
	return ms && !strcmp(ms, "999") ? -EINVAL : 0;
}

/* vaio_params_check() of one word list; *bad the word at fault. */
static const char *params_error(char *words, unsigned int *bad)
{
	static const struct vaio_filter_type t = {
		.name = "kunit-params", .params = kunit_params,
		.ops = { .args_check = kunit_args_check } };
	char *argv[8], *w;
	unsigned int argc = 0;
	const char *error;

	while ((w = strsep(&words, " ")) && argc < ARRAY_SIZE(argv))
		argv[argc++] = w;
	*bad = ~0U;
	vaio_params_check(&t, argc, argv, &error, bad);
	return error;
}

static void vaio_test_params(struct kunit *test)
{
	static const struct {
		const char *words;
		const char *error;	/* NULL: accepted */
		unsigned int bad;
	} cases[] = {
		{ "mode=sync ms=1 on=1 peer=10.0.0.2:7789", NULL, 0 },
		{ "ms=1000", NULL, 0 },
		{ "mode=async on=0 peer=/dev/vdb", NULL, 0 },
		{ "mode=syn", "parameter value is not one of the choices", 0 },
		{ "mode=sync|async", "parameter value is not one of the choices", 0 },
		{ "mode=", "parameter value is not one of the choices", 0 },
		{ "mode=sync ms=0", "parameter value is out of range", 1 },
		{ "ms=1001", "parameter value is out of range", 0 },
		{ "ms=-1", "parameter value is not a number", 0 },
		{ "ms=5x", "parameter value is not a number", 0 },
		{ "on=yes", "parameter value is not 0 or 1", 0 },
		{ "peer=a,b", "parameter value has a character not allowed", 0 },
		{ "peer=", "parameter value is empty", 0 },
		{ "ms=1 frob=1", "unknown filter parameter", 1 },
		{ "m=1", "unknown filter parameter", 0 },
		{ "modes=sync", "unknown filter parameter", 0 },
		{ "mode", "filter argument is not key=value", 0 },
		{ "=sync", "filter argument is not key=value", 0 },
		{ "ms=1 on=0 ms=2", "filter parameter given twice", 2 },
		/* ->args_check(): the words together, after each alone. */
		{ "peer=x", "kunit: peer needs mode", 1 },
		{ "ms=5 peer=x", "kunit: peer needs mode", 2 },
		{ "ms=999", "filter refused its arguments", 1 },
		{ "peer=x ms=0", "parameter value is out of range", 1 },
	};
	char buf[80];
	unsigned int i, bad;
	const char *error;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		strscpy(buf, cases[i].words, sizeof(buf));
		error = params_error(buf, &bad);
		if (!cases[i].error) {
			KUNIT_EXPECT_PTR_EQ_MSG(test, error, NULL, "%s",
						cases[i].words);
			continue;
		}
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, error, "%s",
						 cases[i].words);
		if (error)
			KUNIT_EXPECT_STREQ_MSG(test, error, cases[i].error, "%s",
					       cases[i].words);
		KUNIT_EXPECT_EQ_MSG(test, bad, cases[i].bad, "%s",
				    cases[i].words);
	}
}

/* At most VAIO_MAX_ARGS arguments, for types without declarations too. */
static void vaio_test_max_args(struct kunit *test)
{
	static const struct vaio_filter_type free_form = { .name = "kunit-free" };
	static const struct vaio_filter_type declared = {
		.name = "kunit-params", .params = kunit_params };
	char word[] = "ms=1";
	char *argv[VAIO_MAX_ARGS + 1];
	const char *error;
	unsigned int i, bad;

	for (i = 0; i < ARRAY_SIZE(argv); i++)
		argv[i] = word;
	KUNIT_EXPECT_EQ(test, vaio_params_check(&free_form, VAIO_MAX_ARGS, argv,
						&error, &bad), 0);
	KUNIT_EXPECT_EQ(test, vaio_params_check(&free_form, VAIO_MAX_ARGS + 1,
						argv, &error, &bad), -E2BIG);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, error);
	KUNIT_EXPECT_STREQ(test, error, VAIO_TOO_MANY_ARGS);
	KUNIT_EXPECT_EQ(test, bad, (unsigned int)VAIO_MAX_ARGS);
	/* Checked before the words: not "given twice". */
	KUNIT_EXPECT_EQ(test, vaio_params_check(&declared, VAIO_MAX_ARGS + 1,
						argv, &error, &bad), -E2BIG);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, error);
	KUNIT_EXPECT_STREQ(test, error, VAIO_TOO_MANY_ARGS);
}

static void vaio_test_param_value(struct kunit *test)
{
	char a[] = "mode=sync", b[] = "ms=10", c[] = "modes=x";
	char *argv[3];

	argv[0] = c;
	argv[1] = a;
	argv[2] = b;

	KUNIT_EXPECT_STREQ(test, vaio_param(3, argv, "mode"), "sync");
	KUNIT_EXPECT_STREQ(test, vaio_param(3, argv, "ms"), "10");
	KUNIT_EXPECT_STREQ(test, vaio_param(3, argv, "modes"), "x");
	KUNIT_EXPECT_PTR_EQ(test, vaio_param(3, argv, "m"), NULL);
	KUNIT_EXPECT_PTR_EQ(test, vaio_param(0, argv, "mode"), NULL);
}

/* Device claims (vaio-claim.c), on numbers no device has. */
static void vaio_test_claims(struct kunit *test)
{
	dev_t a = MKDEV(4095, 1048570), b = MKDEV(4095, 1048571);
	char *error = NULL;

	/* One disk's tables nest; another disk may not have it. */
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d1", "disk below", a, false,
						&error), 0);
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d1", "disk below", a, false,
						&error), 0);
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d2", "disk below", a, false,
						&error), -EBUSY);
	KUNIT_EXPECT_NOT_NULL(test, error);
	/* Nor the same disk for another purpose. */
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d1", "replication metadata",
						a, false, &error), -EBUSY);
	/* Shared only by the same shared purpose. */
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d1", "cache pool", b, true,
						&error), 0);
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d2", "cache pool", b, true,
						&error), 0);
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d3", "replication metadata",
						b, false, &error), -EBUSY);
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d3", "disk below", b, false,
						&error), -EBUSY);
	vaio_release_device("d1", b);
	vaio_release_device("d2", b);
	/* Released as often as claimed: then free for anyone. */
	vaio_release_device("d1", a);
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d2", "disk below", a, false,
						&error), -EBUSY);
	vaio_release_device("d1", a);
	KUNIT_EXPECT_EQ(test, vaio_claim_device("d2", "replication metadata",
						a, false, &error), 0);
	vaio_release_device("d2", a);
}

static struct kunit_case vaio_core_cases[] = {
	KUNIT_CASE(vaio_test_valid_names),
	KUNIT_CASE(vaio_test_invalid_names),
	KUNIT_CASE(vaio_test_chain_order),
	KUNIT_CASE(vaio_test_chain_layout),
	KUNIT_CASE(vaio_test_count_words),
	KUNIT_CASE(vaio_test_names),
	KUNIT_CASE(vaio_test_register),
	KUNIT_CASE(vaio_test_fail_modes),
	KUNIT_CASE(vaio_test_params),
	KUNIT_CASE(vaio_test_max_args),
	KUNIT_CASE(vaio_test_param_value),
	KUNIT_CASE(vaio_test_claims),
	{}
};

static struct kunit_suite vaio_core_suite = {
	.name = "dm-vaio-core",
	.test_cases = vaio_core_cases,
};

kunit_test_suites(&vaio_core_suite);
