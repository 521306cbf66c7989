/*
 * The callee's RTP echo of the media benchmark (see echo-callee.ts): one UDP socket on 127.0.0.1
 * that sends every datagram back to where it came from, like sipp's -rtp_echo, but with a 4 MB
 * receive buffer (sipp's echo socket keeps the 208 KiB default, about 10 ms of 400 calls) and in
 * batches (recvmmsg/sendmmsg), so a moment off a shared core does not drop what queued meanwhile.
 * Compiled at run time with the system's cc. Prints "port P" once bound; answers "figures" with
 * "figures ECHOED"; exits when stdin closes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define MAX_BYTES 2048
#define RCVBUF (4 << 20)

static long echoed;

/* Echoes everything queued on `s`. */
static void echo_all(int s) {
  static char bufs[BATCH][MAX_BYTES];
  static struct sockaddr_in from[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){ bufs[i], MAX_BYTES };
      msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    int n = recvmmsg(s, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    /* The same headers go back out: each datagram's length and its sender as the destination. */
    for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len;
    for (int sent = 0; sent < n;) {
      int r = sendmmsg(s, msgs + sent, (unsigned)(n - sent), 0);
      if (r < 0 && errno == EINTR) continue;
      /* A datagram the kernel refuses (the caller's port just closed) is skipped, not retried. */
      sent += r > 0 ? r : 1;
      echoed += r > 0 ? r : 0;
    }
    if (n < BATCH) return;
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int buf = RCVBUF;
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) < 0) setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) {
    printf("error %s\n", strerror(errno));
    return 1;
  }
  printf("port %d\n", ntohs(a.sin_port));
  int ep = epoll_create1(0);
  struct epoll_event in = { .events = EPOLLIN, .data.fd = STDIN_FILENO }, rtp = { .events = EPOLLIN, .data.fd = s };
  epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &in);
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &rtp);
  for (;;) {
    struct epoll_event evs[2];
    int n = epoll_wait(ep, evs, 2, -1);
    if (n < 0 && errno != EINTR) return 1;
    for (int e = 0; e < n; e++) {
      if (evs[e].data.fd == s) {
        echo_all(s);
        continue;
      }
      char line[256];
      ssize_t r = read(STDIN_FILENO, line, sizeof line);
      if (r <= 0) return 0; /* the benchmark went away */
      if (memmem(line, (size_t)r, "figures", 7)) printf("figures %ld\n", echoed);
    }
  }
}
