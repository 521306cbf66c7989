/*
 * RTP load generator for bench/rtp-relay.ts: 2N "phones" on 127.0.0.1, one UDP socket each,
 * 50 packets/s per phone. Compiled by the benchmark at run time with the system's cc; speaks a
 * line protocol on stdin/stdout (see bench/relay/generator.ts):
 *   open N                     -> ports P0 .. P(2N-1)
 *   run DURATION_MS T0 .. T(2N-1) -> result SENT RECEIVED P50_US P99_US MAX_US CPU_US WALL_US
 *   close                      -> closed
 * Pacing: phone j sends in 1 ms slot (j % 20) of every 20 ms period, so sends are spread evenly
 * over the period. The generator sleeps only on its 1 ms slot timer and collects replies then.
 * Latency = kernel receive timestamp (SO_TIMESTAMPNS) minus the send time carried in the payload,
 * so the generator's own wake-up delay is not counted; the first 0.5 s is warm-up.
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
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PACKET_BYTES 172 /* 12-byte header + 160 bytes of PCMU */
#define SLOT_NS 1000000LL
#define SLOTS 20
#define WARMUP_TICKS 25 /* 0.5 s, or a quarter of a shorter run */
#define HIST_US 200000 /* 1 us buckets up to 200 ms; later arrivals land in the last one */

static int *socks;
static int nsocks;
static int ep = -1;
static uint32_t hist[HIST_US + 1];
static uint32_t warmup_ticks = WARMUP_TICKS;

static int64_t now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static void close_all(void) {
  for (int i = 0; i < nsocks; i++) close(socks[i]);
  free(socks);
  socks = NULL;
  nsocks = 0;
  if (ep >= 0) close(ep);
  ep = -1;
}

static int open_phones(int n) {
  close_all();
  socks = calloc((size_t)n, sizeof(int));
  ep = epoll_create1(0);
  printf("ports");
  for (int i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (s < 0) return -1;
    int one = 1, buf = 1 << 20;
    setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) return -1;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    socks[i] = s;
    nsocks = i + 1;
    printf(" %d", ntohs(a.sin_port));
  }
  printf("\n");
  return 0;
}

/* Reads everything queued on socket s; returns packets read. */
static long drain(int s) {
  uint8_t buf[2048];
  char ctl[256];
  long n = 0;
  for (;;) {
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    ssize_t r = recvmsg(s, &m, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      return n; /* EAGAIN, or an ICMP error on the connected socket: nothing more to read */
    }
    if (r < 24 || buf[0] != 0x80 || (buf[1] & 0x7f) != 0) continue; /* RTP/PCMU only, not RTCP */
    n++;
    int64_t rx = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        rx = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
      }
    }
    if (rx < 0) rx = now_ns(CLOCK_REALTIME);
    uint32_t tick = ((uint32_t)buf[20] << 24) | ((uint32_t)buf[21] << 16) | ((uint32_t)buf[22] << 8) | buf[23];
    if (tick < warmup_ticks) continue;
    int64_t us = (rx - (int64_t)get64(buf + 12)) / 1000;
    hist[us < 0 ? 0 : us > HIST_US ? HIST_US : us]++;
  }
}

static long pct(long total, double q) {
  long want = (long)(total * q), seen = 0;
  for (long i = 0; i <= HIST_US; i++) {
    seen += hist[i];
    if (seen > want) return i;
  }
  return HIST_US;
}

static void run(long duration_ms, const int *targets) {
  memset(hist, 0, sizeof hist);
  for (int i = 0; i < nsocks; i++) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)targets[i]), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    connect(socks[i], (struct sockaddr *)&a, sizeof a);
  }
  /* Blocking timer, not in the epoll set: the generator only ever sleeps on it. */
  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  int64_t start = now_ns(CLOCK_MONOTONIC);
  struct itimerspec its = { .it_interval = { 0, SLOT_NS }, .it_value = { start / 1000000000LL, start % 1000000000LL } };
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
  int64_t cpu0 = cpu_us();
  long slots = duration_ms * 1000000LL / SLOT_NS, slot = 0, sent = 0, received = 0;
  warmup_ticks = slots / SLOTS / 4 < WARMUP_TICKS ? (uint32_t)(slots / SLOTS / 4) : WARMUP_TICKS;
  int64_t stop = start + (int64_t)duration_ms * 1000000LL + 300000000LL; /* 300 ms to drain */
  uint8_t pkt[PACKET_BYTES] = { 0x80, 0 };
  struct epoll_event evs[256];
  while (now_ns(CLOCK_MONOTONIC) < stop) {
    uint64_t expirations;
    if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EINTR) break;
    int64_t now = now_ns(CLOCK_MONOTONIC);
    /* Every slot whose time has come (a late wake-up catches up rather than skipping). */
    for (; slot < slots && start + slot * SLOT_NS <= now; slot++) {
      uint32_t tick = (uint32_t)(slot / SLOTS);
      pkt[2] = (uint8_t)(tick >> 8), pkt[3] = (uint8_t)tick;
      uint32_t ts = tick * 160;
      pkt[4] = (uint8_t)(ts >> 24), pkt[5] = (uint8_t)(ts >> 16), pkt[6] = (uint8_t)(ts >> 8), pkt[7] = (uint8_t)ts;
      pkt[20] = (uint8_t)(tick >> 24), pkt[21] = (uint8_t)(tick >> 16), pkt[22] = (uint8_t)(tick >> 8), pkt[23] = (uint8_t)tick;
      for (int j = (int)(slot % SLOTS); j < nsocks; j += SLOTS) {
        pkt[11] = (uint8_t)(j + 1), pkt[10] = (uint8_t)((j + 1) >> 8);
        put64(pkt + 12, (uint64_t)now_ns(CLOCK_REALTIME));
        if (send(socks[j], pkt, sizeof pkt, 0) == sizeof pkt) sent++;
      }
    }
    /* Collect the replies that arrived since the last slot without sleeping on them, so a relayed
     * packet never has to wake the generator (a send to a network card would not); the kernel's
     * receive timestamps keep the latency exact. */
    for (;;) {
      int n = epoll_wait(ep, evs, 256, 0);
      for (int e = 0; e < n; e++) received += drain(socks[evs[e].data.u32]);
      if (n < 256) break;
    }
  }
  int64_t cpu = cpu_us() - cpu0, wall = (now_ns(CLOCK_MONOTONIC) - start) / 1000;
  close(tfd);
  long measured = 0;
  for (long i = 0; i <= HIST_US; i++) measured += hist[i];
  printf("result %ld %ld %ld %ld %ld %lld %lld\n", sent, received, pct(measured, 0.5), pct(measured, 0.99),
         pct(measured, 1.0 - 1e-12), (long long)cpu, (long long)wall);
}

int main(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  static char line[1 << 20];
  while (fgets(line, sizeof line, stdin)) {
    char *p = line;
    if (strncmp(p, "open ", 5) == 0) {
      if (open_phones(atoi(p + 5) * 2) < 0) {
        printf("error open %s\n", strerror(errno));
      }
    } else if (strncmp(p, "run ", 4) == 0) {
      char *end;
      long duration = strtol(p + 4, &end, 10);
      int *targets = calloc((size_t)nsocks + 1, sizeof(int));
      for (int i = 0; i < nsocks; i++) targets[i] = (int)strtol(end, &end, 10);
      run(duration, targets);
      free(targets);
    } else if (strncmp(p, "close", 5) == 0) {
      close_all();
      printf("closed\n");
    }
  }
  close_all();
  return 0;
}
