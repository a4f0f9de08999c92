/*
 * The physical limit for bench/batch.ts: the netlink work of one attach
 * (bridge, IPv4 address and gateway, announcement), done by a minimal C
 * program for N named-netns guests, sequentially, with no checks beyond the
 * kernel's ACKs. Per guest:
 *
 *   open /run/netns/<guest>
 *   RTM_NEWLINK veth: host end vb<k>, master <bridge>, up; peer eth1 born in the guest
 *   a netlink socket inside the guest (setns there, socket(), setns back)
 *   RTM_GETLINK eth1 (its index and MAC)
 *   RTM_NEWADDR <ip>/15, RTM_NEWLINK up, RTM_NEWROUTE default via <gw>
 *   a gratuitous ARP for <ip> from the guest's MAC, on ONE AF_PACKET socket
 *   bound to the bridge on the host side, shared by every guest
 *
 * usage: reference HOSTNS BRIDGE GUEST_PREFIX N FIRST_IP GATEWAY
 *   (guest k is GUEST_PREFIX<k>, its address FIRST_IP + k)
 * Built by bench/batch.ts with `cc -O2 -o reference reference.c`.
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned seq;

struct req {
	struct nlmsghdr h;
	char buf[1024];
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct rtattr *attr(struct nlmsghdr *h, int type, const void *data, int len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nest_end(struct nlmsghdr *h, struct rtattr *a)
{
	a->rta_len = (char *)h + h->nlmsg_len - (char *)a;
}

static void init(struct req *r, int type, int flags, int payload)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(payload);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	r->h.nlmsg_seq = ++seq;
}

/* Sends, waits for the ACK (or, for a GET, the reply into out). */
static void talk(int fd, struct req *r, char *out, size_t outlen, const char *what)
{
	char buf[8192];
	if (send(fd, r, r->h.nlmsg_len, 0) < 0)
		die(what);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			die(what);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				if (err) {
					errno = -err;
					die(what);
				}
				return;
			}
			if (out) {
				memcpy(out, h, h->nlmsg_len < outlen ? h->nlmsg_len : outlen);
				return;
			}
		}
	}
}

static int nl_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		die("socket");
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: reference HOSTNS BRIDGE GUEST_PREFIX N FIRST_IP GATEWAY\n");
		return 2;
	}
	char path[256];
	snprintf(path, sizeof(path), "/run/netns/%s", argv[1]);
	int hostns = open(path, O_RDONLY | O_CLOEXEC);
	if (hostns < 0 || setns(hostns, CLONE_NEWNET) < 0)
		die(path);
	int n = atoi(argv[4]);
	struct in_addr first, gw;
	inet_pton(AF_INET, argv[5], &first);
	inet_pton(AF_INET, argv[6], &gw);
	int host = nl_socket();
	int bridge = if_nametoindex(argv[2]);
	if (!bridge)
		die(argv[2]);
	int pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (pkt < 0)
		die("AF_PACKET");
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = bridge, .sll_halen = 6 };
	memset(ll.sll_addr, 0xff, 6);
	struct req r;
	for (int k = 0; k < n; k++) {
		snprintf(path, sizeof(path), "/run/netns/%s%d", argv[3], k);
		int gns = open(path, O_RDONLY | O_CLOEXEC);
		if (gns < 0)
			die(path);
		char hname[IFNAMSIZ];
		snprintf(hname, sizeof(hname), "vb%d", k);

		init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(struct ifinfomsg));
		struct ifinfomsg *ifi = NLMSG_DATA(&r.h);
		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
		attr(&r.h, IFLA_MASTER, &bridge, 4);
		attr(&r.h, IFLA_IFNAME, hname, strlen(hname) + 1);
		struct rtattr *li = attr(&r.h, IFLA_LINKINFO, NULL, 0);
		attr(&r.h, IFLA_INFO_KIND, "veth", 4);
		struct rtattr *data = attr(&r.h, IFLA_INFO_DATA, NULL, 0);
		struct rtattr *peer = attr(&r.h, VETH_INFO_PEER, NULL, 0);
		r.h.nlmsg_len += sizeof(struct ifinfomsg); /* the peer's ifinfomsg, zeroed */
		attr(&r.h, IFLA_IFNAME, "eth1", 5);
		attr(&r.h, IFLA_NET_NS_FD, &gns, 4);
		nest_end(&r.h, peer);
		nest_end(&r.h, data);
		nest_end(&r.h, li);
		talk(host, &r, NULL, 0, "veth");

		if (setns(gns, CLONE_NEWNET) < 0)
			die("setns guest");
		int guest = nl_socket();
		if (setns(hostns, CLONE_NEWNET) < 0)
			abort();

		char reply[4096];
		init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
		attr(&r.h, IFLA_IFNAME, "eth1", 5);
		talk(guest, &r, reply, sizeof(reply), "getlink");
		struct ifinfomsg *got = NLMSG_DATA((struct nlmsghdr *)reply);
		int index = got->ifi_index;
		unsigned char mac[6] = { 0 };
		int alen = ((struct nlmsghdr *)reply)->nlmsg_len - NLMSG_LENGTH(sizeof(*got));
		for (struct rtattr *a = IFLA_RTA(got); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
			if (a->rta_type == IFLA_ADDRESS)
				memcpy(mac, RTA_DATA(a), 6);

		struct in_addr ip = { htonl(ntohl(first.s_addr) + k) };
		init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(struct ifaddrmsg));
		struct ifaddrmsg *ifa = NLMSG_DATA(&r.h);
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = 15;
		ifa->ifa_index = index;
		attr(&r.h, IFA_LOCAL, &ip, 4);
		attr(&r.h, IFA_ADDRESS, &ip, 4);
		talk(guest, &r, NULL, 0, "address");

		init(&r, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
		ifi = NLMSG_DATA(&r.h);
		ifi->ifi_index = index;
		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
		talk(guest, &r, NULL, 0, "up");

		init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(struct rtmsg));
		struct rtmsg *rt = NLMSG_DATA(&r.h);
		rt->rtm_family = AF_INET;
		rt->rtm_table = RT_TABLE_MAIN;
		rt->rtm_protocol = RTPROT_BOOT;
		rt->rtm_scope = RT_SCOPE_UNIVERSE;
		rt->rtm_type = RTN_UNICAST;
		attr(&r.h, RTA_GATEWAY, &gw, 4);
		attr(&r.h, RTA_OIF, &index, 4);
		talk(guest, &r, NULL, 0, "route");

		/* RFC 5227's announcement: an ARP request with sender = target = ip. */
		unsigned char f[42];
		memset(f, 0xff, 6);
		memcpy(f + 6, mac, 6);
		f[12] = 0x08, f[13] = 0x06;
		unsigned char arp[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
		memcpy(f + 14, arp, 8);
		memcpy(f + 22, mac, 6);
		memcpy(f + 28, &ip, 4);
		memset(f + 32, 0, 6);
		memcpy(f + 38, &ip, 4);
		if (sendto(pkt, f, sizeof(f), 0, (struct sockaddr *)&ll, sizeof(ll)) < 0)
			die("announce");

		close(guest);
		close(gns);
	}
	return 0;
}
