/*
 * The callers' RTP peer of the media benchmark (bench/calls/media-scenarios.ts): one UDP socket per
 * call on 127.0.0.1, 20 ms PCMU packets (50/s) once the call's media address is known. Compiled at
 * run time with the system's cc (see peer-process.ts); speaks lines on stdin/stdout:
 *   open N MODE SEND_MS  -> ports P0 .. P(N-1)          MODE: echo | listen
 *   start I IP PORT      -> (no answer) call I sends to IP:PORT for SEND_MS from now
 *   window on|off        -> (no answer) opens or closes the measuring window
 *   figures              -> figures CALLS SENT RECEIVED EXPECTED SPAN_PACKETS P50_US P99_US MAX_US LAG_US
 *                                   W_SENT W_RECEIVED W_EXPECTED W_P50_US W_P99_US W_MAX_US W_CALLS W_US LATE W_LATE
 *   close                -> closed
 * Pacing as bench/relay/rtp-gen.c: call i sends in 1 ms slot (i % 20) of every 20 ms period, from a
 * connected socket; the peer sleeps only on its slot timer and stdin, and collects what arrived
 * after each slot without waking for it. LAG_US is the latest a slot was served after its time.
 * Echo: counts its own packets that came back (tag, port and a sequence past the warm-up in the
 * payload, since relays rewrite the header) and their round trip (kernel receive timestamp minus the
 * send time in the payload; LATE: those back after 200 ms or more). Listen: counts RTP that arrived, the sequence range it spans per call
 * (EXPECTED: gaps are loss) and the time it spans (SPAN_PACKETS: one packet per 20 ms expected).
 * W_ figures count the window only: echo packets sent while it was open (a flag in the payload, so
 * late echoes still count), listen packets that arrived while it was open, the range they span, the
 * calls heard in it and how long it was open (a server that falls behind sends fewer, gap-free).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD_BYTES 160
#define PACKET_BYTES (12 + PAYLOAD_BYTES)
#define SLOT_NS 1000000LL
#define SLOTS 20
#define FRAME_NS (SLOT_NS * SLOTS)
#define WARMUP_PACKETS 25 /* echo counts a call's packets from its 26th: the bridge is set up meanwhile */
#define ECHO_TAG 0xca11
#define HIST_US 200000 /* 1 us buckets up to 200 ms; later arrivals land in the last one */
#define TIMER_TAG 0xfffffffeu

struct call {
  int fd, port, started, have_seq, w_have;
  uint32_t seq, seq_base, last_raw;
  long sent, received, w_sent, w_received;
  int64_t until_ns, cycles, low, high, first_rx, last_rx, w_low, w_high;
};

static struct call *calls;
static int ncalls, listen_mode, sock_ep = -1, tfd = -1;
static int64_t send_ns, start_ns, max_lag_ns;
static long slot;
static uint32_t hist[HIST_US + 1], w_hist[HIST_US + 1];
static int window_open;
static int64_t w_since_ns, w_ns; /* when the window opened; how long it was open in all */

static int64_t now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16), put16(p + 2, v); }
static uint32_t get16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t get32(const uint8_t *p) { return (get16(p) << 16) | get16(p + 2); }

static void close_calls(void) {
  for (int i = 0; i < ncalls; i++) close(calls[i].fd);
  free(calls);
  calls = NULL, ncalls = 0;
  if (sock_ep >= 0) close(sock_ep);
  sock_ep = -1;
  struct itimerspec off = { 0 };
  timerfd_settime(tfd, 0, &off, NULL);
}

static void open_calls(int n, const char *mode, long send_ms) {
  close_calls();
  memset(hist, 0, sizeof hist);
  memset(w_hist, 0, sizeof w_hist);
  window_open = 0, w_ns = 0, max_lag_ns = 0;
  listen_mode = strcmp(mode, "listen") == 0;
  send_ns = (int64_t)send_ms * 1000000LL;
  calls = calloc((size_t)n, sizeof *calls);
  sock_ep = epoll_create1(0);
  char *ports = calloc((size_t)n + 1, 8), *at = ports;
  for (int i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int one = 1, buf = 1 << 20;
    setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    /* Past net.core.rmem_max when allowed (root), so a stall of the peer does not drop echoes. */
    if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) {
      printf("error open %s\n", strerror(errno));
      free(ports);
      return;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
    epoll_ctl(sock_ep, EPOLL_CTL_ADD, s, &ev);
    calls[i].fd = s, calls[i].port = ntohs(a.sin_port), calls[i].seq_base = (uint32_t)rand();
    ncalls = i + 1;
    at += sprintf(at, " %d", calls[i].port);
  }
  printf("ports%s\n", ports);
  free(ports);
  start_ns = now_ns(CLOCK_MONOTONIC), slot = 0;
  struct itimerspec its = { .it_interval = { 0, SLOT_NS }, .it_value = { start_ns / 1000000000LL, start_ns % 1000000000LL } };
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void start_call(int i, const char *ip, int port) {
  if (i < 0 || i >= ncalls || calls[i].started) return;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) return;
  connect(calls[i].fd, (struct sockaddr *)&a, sizeof a);
  calls[i].started = 1, calls[i].until_ns = now_ns(CLOCK_MONOTONIC) + send_ns;
}

static void on_packet(struct call *c, const uint8_t *buf, ssize_t r, int64_t rx) {
  if (r < 12 || (buf[0] & 0xc0) != 0x80) return;
  uint32_t pt = buf[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return; /* RTCP, not media */
  if (!listen_mode) {
    if (r < 29 || get16(buf + 12) != ECHO_TAG || get16(buf + 14) != (uint32_t)c->port || get32(buf + 16) < WARMUP_PACKETS) return;
    c->received++;
    int64_t sent_at = (int64_t)(((uint64_t)get32(buf + 20) << 32) | get32(buf + 24));
    int64_t us = (rx - sent_at) / 1000;
    long bucket = us < 0 ? 0 : us > HIST_US ? HIST_US : us;
    hist[bucket]++;
    if (buf[28] == 1) c->w_received++, w_hist[bucket]++;
    return;
  }
  c->received++;
  uint32_t raw = get16(buf + 2);
  if (c->have_seq && raw < c->last_raw && c->last_raw - raw > 0x8000) c->cycles++;
  c->last_raw = raw;
  int64_t ext = c->cycles * 0x10000 + raw;
  if (!c->have_seq) c->have_seq = 1, c->low = c->high = ext, c->first_rx = rx;
  if (ext < c->low) c->low = ext;
  if (ext > c->high) c->high = ext;
  c->last_rx = rx;
  if (!window_open) return;
  c->w_received++;
  if (!c->w_have) c->w_have = 1, c->w_low = c->w_high = ext;
  if (ext < c->w_low) c->w_low = ext;
  if (ext > c->w_high) c->w_high = ext;
}

/* Reads everything queued on call i's socket. */
static void drain(int i) {
  uint8_t buf[2048];
  char ctl[256];
  for (;;) {
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    ssize_t r = recvmsg(calls[i].fd, &m, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return; /* EAGAIN, or an ICMP error once the far end closed its port */
    int64_t rx = -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(cm), sizeof ts);
        rx = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
      }
    }
    on_packet(&calls[i], buf, r, rx < 0 ? now_ns(CLOCK_REALTIME) : rx);
  }
}

static void on_timer(void) {
  uint64_t expirations;
  if (read(tfd, &expirations, sizeof expirations) < 0) return;
  int64_t now = now_ns(CLOCK_MONOTONIC);
  uint8_t pkt[PACKET_BYTES];
  memset(pkt, 0xff, sizeof pkt);
  pkt[0] = 0x80, pkt[1] = 0; /* RFC 3550 §5.1: version 2, PT 0 (PCMU) */
  /* Every slot whose time has come (a late wake-up catches up rather than skipping). */
  for (; start_ns + slot * SLOT_NS <= now; slot++) {
    int64_t lag = now - (start_ns + slot * SLOT_NS);
    int64_t wall = now_ns(CLOCK_REALTIME);
    int any = 0;
    for (int j = (int)(slot % SLOTS); j < ncalls; j += SLOTS) {
      struct call *c = &calls[j];
      if (!c->started || now >= c->until_ns) continue;
      any = 1;
      put16(pkt + 2, (c->seq + c->seq_base) & 0xffff), put32(pkt + 4, c->seq * PAYLOAD_BYTES), put32(pkt + 8, (uint32_t)c->port);
      /* A tag in the payload (relays rewrite the header, a PCMU-to-PCMU relay keeps the payload), the
       * send time and whether the window is open. */
      put16(pkt + 12, ECHO_TAG), put16(pkt + 14, (uint32_t)c->port), put32(pkt + 16, c->seq);
      put32(pkt + 20, (uint32_t)((uint64_t)wall >> 32)), put32(pkt + 24, (uint32_t)wall), pkt[28] = (uint8_t)window_open;
      if (send(c->fd, pkt, sizeof pkt, 0) == sizeof pkt && c->seq >= WARMUP_PACKETS) c->sent++, c->w_sent += window_open;
      c->seq++;
    }
    if (any && lag > max_lag_ns) max_lag_ns = lag;
  }
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(sock_ep, evs, 256, 0);
    for (int e = 0; e < n; e++) drain((int)evs[e].data.u32);
    if (n < 256) break;
  }
}

static long pct(const uint32_t *h, double q) {
  long total = 0;
  for (long i = 0; i <= HIST_US; i++) total += h[i];
  if (total == 0) return -1; /* nothing came back */
  long want = (long)(total * q), seen = 0;
  for (long i = 0; i <= HIST_US; i++) {
    seen += h[i];
    if (seen > want) return i;
  }
  return HIST_US;
}

static void figures(void) {
  long started = 0, sent = 0, received = 0, expected = 0, span = 0, w_sent = 0, w_received = 0, w_expected = 0, w_calls = 0;
  for (int i = 0; i < ncalls; i++) {
    struct call *c = &calls[i];
    started += c->started;
    sent += c->sent, received += c->received;
    if (c->have_seq) {
      expected += (long)(c->high - c->low + 1);
      span += (long)((c->last_rx - c->first_rx + FRAME_NS / 2) / FRAME_NS) + 1;
    }
    w_sent += c->w_sent, w_received += c->w_received;
    if (c->w_have) w_expected += (long)(c->w_high - c->w_low + 1), w_calls++;
  }
  printf("figures %ld %ld %ld %ld %ld %ld %ld %ld %lld %ld %ld %ld %ld %ld %ld %ld %lld %u %u\n", started, sent, received,
         expected, span, pct(hist, 0.5), pct(hist, 0.99), pct(hist, 1.0 - 1e-12), (long long)(max_lag_ns / 1000), w_sent,
         w_received, w_expected, pct(w_hist, 0.5), pct(w_hist, 0.99), pct(w_hist, 1.0 - 1e-12), w_calls,
         (long long)(w_ns / 1000), hist[HIST_US], w_hist[HIST_US]);
}

static void set_window(int open) {
  int64_t now = now_ns(CLOCK_MONOTONIC);
  if (open && !window_open) w_since_ns = now;
  if (!open && window_open) w_ns += now - w_since_ns;
  window_open = open;
}

static void on_line(char *line) {
  char mode[16], ip[64];
  int n, port;
  long ms;
  if (sscanf(line, "open %d %15s %ld", &n, mode, &ms) == 3) open_calls(n, mode, ms);
  else if (sscanf(line, "start %d %63s %d", &n, ip, &port) == 3) start_call(n, ip, port);
  else if (strncmp(line, "window ", 7) == 0) set_window(strncmp(line + 7, "on", 2) == 0);
  else if (strncmp(line, "figures", 7) == 0) figures();
  else if (strncmp(line, "close", 5) == 0) close_calls(), printf("closed\n");
}

/* Runs the lines that arrived on stdin; 0 once it closed (the benchmark went away). */
static int read_stdin(void) {
  static char pending[1 << 16];
  static size_t used;
  ssize_t r = read(STDIN_FILENO, pending + used, sizeof pending - 1 - used);
  if (r <= 0) return 0;
  used += (size_t)r;
  pending[used] = 0;
  char *p = pending, *nl;
  for (; (nl = strchr(p, '\n')); p = nl + 1) *nl = 0, on_line(p);
  used = strlen(p);
  memmove(pending, p, used);
  return 1;
}

int main(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl);
  setvbuf(stdout, NULL, _IOLBF, 0);
  srand((unsigned)now_ns(CLOCK_REALTIME));
  int ep = epoll_create1(0);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event in = { .events = EPOLLIN, .data.u32 = 0 }, tm = { .events = EPOLLIN, .data.u32 = TIMER_TAG };
  epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &in);
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tm);
  for (int open = 1; open;) {
    struct epoll_event evs[2];
    int n = epoll_wait(ep, evs, 2, -1);
    if (n < 0 && errno != EINTR) break;
    for (int e = 0; e < n && open; e++) {
      if (evs[e].data.u32 == TIMER_TAG) on_timer();
      else open = read_stdin();
    }
  }
  close_calls();
  return 0;
}
