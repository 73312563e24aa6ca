// SPDX-License-Identifier: GPL-2.0-only
/*
 * repl-decide-test: every rule of vaio_repl_decide(), the verdict both
 * hosts reach in vaiod's handshake. TAP output; exit 1 if a case fails.
 */
#include "../lib/vaio.h"

#include <stdio.h>
#include <string.h>

static int n, failed;

static struct repl_side side(int role, uint64_t sectors, uint64_t gen)
{
	struct repl_side s;

	memset(&s, 0, sizeof(s));
	s.role = role;
	s.sectors = sectors;
	s.gen = gen;
	s.consistent = true;
	return s;
}

/*
 * @ok: expected verdict; @full: expected full sync when ok; @why: a
 * substring of the expected refusal. Checked in both argument orders.
 */
static void check(const char *name, struct repl_side p, struct repl_side s,
		  bool ok, bool full, const char *why)
{
	const struct repl_side *order[2][2] = { { &p, &s }, { &s, &p } };
	const char *w;
	bool f, r, good = true;
	int i;

	for (i = 0; i < 2; i++) {
		f = !full;
		w = NULL;
		r = vaio_repl_decide(order[i][0], order[i][1], &f, &w);
		if (r != ok || (ok && f != full) || (ok && w) ||
		    (!ok && (!w || !strstr(w, why)))) {
			printf("# %s (%s order): got %s, full sync %d, why '%s'\n",
			       name, i ? "reversed" : "given", r ? "ok" : "refused",
			       f, w ? w : "(none)");
			good = false;
		}
	}
	n++;
	if (!good)
		failed++;
	printf("%s %d - %s\n", good ? "ok" : "not ok", n, name);
}

int main(void)
{
	enum { P = VAIO_REPL_ROLE_PRIMARY, S = VAIO_REPL_ROLE_SECONDARY };
	struct repl_side p, s;

	printf("TAP version 13\n1..14\n");

	check("both primary: split brain", side(P, 100, 7), side(P, 100, 7),
	      false, false, "both primary: split brain");
	check("neither side is primary", side(S, 100, 7), side(S, 100, 7),
	      false, false, "neither side is primary");

	check("peer disk smaller", side(P, 100, 7), side(S, 99, 7),
	      false, false, "peer disk smaller: 99 < 100 sectors");
	check("a larger secondary is fine", side(P, 100, 7), side(S, 200, 7),
	      true, false, NULL);

	check("same generation: no full sync", side(P, 100, 0x1234),
	      side(S, 100, 0x1234), true, false, NULL);

	p = side(P, 100, 9);
	p.history[0] = 8;
	p.history[2] = 5;
	check("secondary's generation newest in the primary's history", p,
	      side(S, 100, 8), true, false, NULL);
	check("secondary's generation older in the primary's history", p,
	      side(S, 100, 5), true, false, NULL);

	check("new secondary (gen 0): full sync", side(P, 100, 9),
	      side(S, 100, 0), true, true, NULL);
	p = side(P, 100, 9);
	p.new_pair = true;
	check("new secondary of a new pair (skip sync): no full sync", p,
	      side(S, 100, 0), true, false, NULL);
	p = side(P, 100, 9);
	p.history[1] = 3;
	check("gen 0 does not match an empty history slot", p,
	      side(S, 100, 0), true, true, NULL);

	s = side(S, 100, 12);
	s.history[0] = 9;
	check("primary's generation in the secondary's history: split brain",
	      side(P, 100, 9), s, false, false,
	      "split brain: generations 0000000000000009 and 000000000000000c diverged; demote one side with --force (discard its data) to resolve");
	check("unrelated generations: split brain", side(P, 100, 0xabc),
	      side(S, 100, 0xdef), false, false,
	      "split brain: generations 0000000000000abc and 0000000000000def diverged");

	/* The size rule comes before the generation rules. */
	check("smaller and unrelated: size first", side(P, 100, 1),
	      side(S, 50, 2), false, false, "peer disk smaller: 50 < 100");
	/* A primary that lost its data to a forced demote, then promoted. */
	s = side(S, 100, 0);
	s.consistent = false;
	check("inconsistent new secondary: full sync", side(P, 100, 5), s,
	      true, true, NULL);

	printf("# %d of %d failed\n", failed, n);
	return failed ? 1 : 0;
}
