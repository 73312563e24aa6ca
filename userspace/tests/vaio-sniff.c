// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaio-sniff: the payload of the IPv4 TCP segments to or from a port, as
 * seen on every interface of the guest (an AF_PACKET socket), appended to
 * a file: what crosses the wire, for a test to search (the guest has no
 * tcpdump). selftests/crypt/repl.
 *
 *   vaio-sniff PORT OUT     PORT 0: every TCP segment
 *
 * Runs until SIGTERM or SIGINT, then prints to stdout
 *   segments <n> bytes <payload bytes> drops <packets the kernel dropped>
 * and exits 0 (1 on an error). Segments are written as they come, one
 * after another, without headers (out of order, retransmitted, both
 * directions mixed): a search for a pattern shorter than a segment's
 * payload may miss one that crosses two segments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static unsigned char buf[262144];
	unsigned long long segs = 0, bytes = 0, drops = 0;
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);
	struct sigaction sa;
	int fd, rcvbuf = 16 << 20;
	unsigned int port;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: vaio-sniff PORT OUT\n");
		return 1;
	}
	port = (unsigned int)strtoul(argv[1], NULL, 10);
	out = fopen(argv[2], "w");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	/*
	 * Cooked packets: the IP header first, whatever the link layer.
	 * ETH_P_ALL, not ETH_P_IP: only ETH_P_ALL sockets see the packets
	 * this host sends (dev_queue_xmit_nit()).
	 */
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: recv returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* The caller waits for this line before it starts the traffic. */
	printf("listening\n");
	fflush(stdout);

	while (!stop) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
		size_t ihl, doff, tot;
		unsigned int sp, dp;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("recvfrom");
			return 1;
		}
		/* lo shows each segment twice (out and in): keep one. */
		if (from.sll_pkttype == PACKET_OUTGOING && from.sll_ifindex == 1)
			continue;
		if (from.sll_protocol != htons(ETH_P_IP) || n < 20 ||
		    (buf[0] >> 4) != 4 || buf[9] != IPPROTO_TCP)
			continue;
		ihl = (size_t)(buf[0] & 15) * 4;
		tot = (size_t)buf[2] << 8 | buf[3];
		/* A GSO packet on its way out may say 0 or less than it is. */
		if (tot < ihl || tot > (size_t)n)
			tot = (size_t)n;
		if (tot < ihl + 20)
			continue;
		sp = (unsigned int)buf[ihl] << 8 | buf[ihl + 1];
		dp = (unsigned int)buf[ihl + 2] << 8 | buf[ihl + 3];
		if (port && sp != port && dp != port)
			continue;
		doff = (size_t)(buf[ihl + 12] >> 4) * 4;
		if (tot < ihl + doff)
			continue;
		segs++;
		bytes += tot - ihl - doff;
		if (fwrite(buf + ihl + doff, 1, tot - ihl - doff, out) !=
		    tot - ihl - doff) {
			perror(argv[2]);
			return 1;
		}
	}
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0)
		drops = st.tp_drops;
	if (fclose(out)) {
		perror(argv[2]);
		return 1;
	}
	printf("segments %llu bytes %llu drops %llu\n", segs, bytes, drops);
	return 0;
}
