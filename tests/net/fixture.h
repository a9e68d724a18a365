/* Network fixtures for tests/unit/test_net_*.c: namespaces that live only
 * as long as their fds (so a failing or crashing test leaves nothing
 * behind: when the test process ends, its namespaces go, and with them
 * every veth, tap, qdisc and filter in them), veth pairs across them,
 * addresses, routes, and probes built on libnl.
 *
 * Functions that can fail abort the test with a criterion assertion
 * naming the step.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A new, empty network namespace (loopback down) as an fd.  */
int fx_netns_new (void);

/* A veth pair: NAME in NS, PEER in PEER_NS, both up.  MAC (may be NULL:
 * the kernel's) is NAME's; MTU (0: default) is both ends'.  */
void fx_veth (int ns, const char *name, const char *mac, uint32_t mtu, int peer_ns, const char *peer);

void fx_link_up (int ns, const char *name);
void fx_link_down (int ns, const char *name);
/* A bridge BR (up) in NS, and PORT, an interface of NS, enslaved to it.  */
void fx_bridge (int ns, const char *br, const char *port);

/* CIDR: "10.0.0.2/24", "fd00::2/64" (IPv6 without duplicate address
 * detection, so it is usable at once).  */
void fx_addr (int ns, const char *ifname, const char *cidr);
/* DEST: "default", "default6" or a prefix; GW may be NULL (on-link).  */
void fx_route (int ns, const char *dest, const char *gw, const char *ifname, uint32_t metric);

int fx_ifindex (int ns, const char *name); /* 0 when absent */
bool fx_link_exists (int ns, const char *name);
/* How many links NS has.  */
size_t fx_link_count (int ns);
/* The text form of NAME's MAC address.  */
void fx_link_mac (int ns, const char *name, char out[18]);
/* MTU, flags, alias ("" for none) and kind ("" for none) of NAME.  */
void fx_link_info (int ns, const char *name, uint32_t *mtu, unsigned *flags, char alias[256], char kind[32]);
/* How many addresses of FAMILY (AF_UNSPEC: any) NAME has.  */
size_t fx_addr_count (int ns, const char *name, int family);

/* Whether NAME has an ingress qdisc.  */
bool fx_has_ingress_qdisc (int ns, const char *name);
/* How many ingress filter entries NAME has at PRIO (0: any priority); a
 * u32 filter dumps as several entries (root, hash table, key).  */
size_t fx_ingress_filters (int ns, const char *name, uint16_t prio);
/* The ifindex NAME's ingress u32 filter at PRIO redirects to with mirred
 * egress redirect, 0 when there is no such filter.  */
int fx_redirect_target (int ns, const char *name, uint16_t prio);
/* An ingress qdisc on NAME with a u32 filter at PRIO that matches no
 * frame (someone else's, which runvm must leave alone).  */
void fx_foreign_filter (int ns, const char *name, uint16_t prio);

/* A clsact qdisc on NAME (as eBPF-based plugins add).  */
void fx_clsact (int ns, const char *name);

/* A raw packet socket bound to NAME (all protocols), non-blocking.  */
int fx_packet_socket (int ns, const char *name);
/* A UDP socket in NS bound to ADDR:PORT (ADDR NULL: any), non-blocking.  */
int fx_udp_socket (int ns, const char *addr, uint16_t port);

/* Reads frames from FD (a packet socket, or a tap with SKIP = 10 bytes of
 * virtio-net header before each frame) for up to TIMEOUT_MS until MATCH
 * accepts one; copies it to OUT (at most CAP bytes) and returns its
 * length, or -1 on timeout.  */
typedef bool (*fx_frame_match) (const unsigned char *frame, size_t len, void *data);
long fx_read_frame (int fd, size_t skip, int timeout_ms, fx_frame_match match, void *data, unsigned char *out,
                    size_t cap);

/* MAC "aa:bb:cc:dd:ee:ff" to 6 bytes.  */
void fx_mac_parse (const char *text, unsigned char out[6]);
