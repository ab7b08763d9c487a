/*
 * wanbond-linkemu: forwards IP packets between TUN device A (modem side, "up" = A->B) and TUN device B (internet
 * side, "down" = B->A), each in its own network namespace, through a queue, a bottleneck, loss and a delay line.
 * Single-threaded: epoll + an absolute CLOCK_MONOTONIC timerfd. Commands: see control.c and docs/lab.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "linkemu.h"

#define MAX_CLIENTS 8
#define LINE_MAX_LEN 1024
#define OUT_MAX 4096

struct client {
  int fd;
  size_t len;
  char buf[LINE_MAX_LEN];
};

static struct emu E;
static struct client clients[MAX_CLIENTS + 1]; /* slot MAX_CLIENTS is stdin */
static uint64_t batch_ns = 200000;

uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void emu_reset_clock(struct emu *e, uint64_t now) {
  e->epoch_ns = now;
  for (size_t i = 0; i < e->sched_n; i++) e->sched[i].done = 0;
  dir_reset_clock(&e->up, now);
  dir_reset_clock(&e->down, now);
}

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "wanbond-linkemu: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  exit(1);
}

static void usage(void) {
  fprintf(stderr,
          "usage: wanbond-linkemu --a NETNS:TUN --b NETNS:TUN [--seed N] [--batch-us N] [--rt PRIO] [--control SOCKET]\n"
          "                       [--stdin] [-c COMMAND]... [--at MS=COMMAND]...\n"
          "A is the modem side (direction up = A->B), B the internet side. COMMANDs: rate|delay|jitter|loss|\n"
          "reorder|queue-bytes|queue-ms DIR VALUE, trace DIR FILE, ge DIR P R [H K], cut|restore [DIR], stats,\n"
          "reset, zero, quit. DIR is up, down or both.\n");
  exit(1);
}

/* Opens (attaches to) the persistent TUN device NAME inside network namespace NS. */
static int open_tun(const char *spec) {
  char ns[256], path[300];
  const char *colon = strchr(spec, ':');
  if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof ns || strlen(colon + 1) >= IFNAMSIZ)
    die("bad endpoint '%s' (want NETNS:TUN)", spec);
  memcpy(ns, spec, (size_t)(colon - spec));
  ns[colon - spec] = 0;
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) die("no network namespace %s", ns);
  if (setns(nsfd, CLONE_NEWNET) < 0) die("setns %s failed (root needed)", ns);
  close(nsfd);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("open /dev/net/tun: %s", strerror(errno));
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", colon + 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("attach to TUN %s failed", spec);
  return fd;
}

static void ep_add(int ep, int fd, uint64_t tag) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

enum { TAG_A = 1, TAG_B, TAG_TIMER, TAG_LISTEN, TAG_CLIENT = 100 };

static void read_tun(struct dir *d) {
  for (int i = 0; i < 256; i++) {
    struct pkt *p = pkt_alloc();
    static uint8_t scratch[PKT_MAX];
    ssize_t n = read(d->in_fd, p ? p->data : scratch, PKT_MAX);
    if (n <= 0) {
      if (p) pkt_free(p);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      /* The device went away (namespace deleted): nothing left to emulate. */
      fprintf(stderr, "wanbond-linkemu: %s side read failed: %s; exiting\n", d->name, strerror(errno));
      exit(3);
    }
    if (!p) {
      d->c.in_pkts++;
      d->c.drop_nomem++;
      continue;
    }
    p->len = (uint32_t)n;
    dir_ingress(d, p, mono_ns());
  }
}

static void run_command(char *line, int fd) {
  char out[OUT_MAX];
  control_exec(&E, line, out, sizeof out - 1);
  size_t n = strlen(out);
  out[n++] = '\n';
  if (write(fd, out, n) < 0) {
    /* client went away; nothing to do */
  }
}

static void client_input(struct client *c, int ep) {
  ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (c == &clients[MAX_CLIENTS]) exit(0); /* stdin closed: our parent is gone */
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    return;
  }
  c->len += (size_t)n;
  char *start = c->buf, *nl;
  while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf)))) {
    *nl = 0;
    int out_fd = c == &clients[MAX_CLIENTS] ? STDOUT_FILENO : c->fd;
    run_command(start, out_fd);
    start = nl + 1;
  }
  c->len -= (size_t)(start - c->buf);
  memmove(c->buf, start, c->len);
  if (c->len == sizeof c->buf - 1) c->len = 0; /* overlong line: drop it */
}

static void run_schedule(uint64_t now) {
  for (size_t i = 0; i < E.sched_n; i++) {
    struct sched_entry *s = &E.sched[i];
    if (s->done || E.epoch_ns + s->at_ms * 1000000ULL > now) continue;
    s->done = 1;
    char line[LINE_MAX_LEN], out[OUT_MAX];
    snprintf(line, sizeof line, "%s", s->cmd);
    if (control_exec(&E, line, out, sizeof out)) fprintf(stderr, "wanbond-linkemu: at %llu ms: %s\n",
                                                         (unsigned long long)s->at_ms, out);
  }
}

static uint64_t next_schedule(void) {
  uint64_t next = UINT64_MAX;
  for (size_t i = 0; i < E.sched_n; i++) {
    uint64_t t = E.epoch_ns + E.sched[i].at_ms * 1000000ULL;
    if (!E.sched[i].done && t < next) next = t;
  }
  return next;
}

int main(int argc, char **argv) {
  const char *a = NULL, *b = NULL, *control = NULL;
  int use_stdin = 0;
  int rt_prio = 10;
  char **cmds = calloc((size_t)argc, sizeof *cmds);
  size_t ncmds = 0;
  E.sched = calloc((size_t)argc, sizeof *E.sched);
  dir_init(&E.up, "up");
  dir_init(&E.down, "down");
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(arg, "--stdin")) {
      use_stdin = 1;
      continue;
    }
    if (!val) usage();
    i++;
    if (!strcmp(arg, "--a")) a = val;
    else if (!strcmp(arg, "--b")) b = val;
    else if (!strcmp(arg, "--control")) control = val;
    else if (!strcmp(arg, "--seed")) rng_seed(strtoull(val, NULL, 10));
    else if (!strcmp(arg, "--batch-us")) batch_ns = strtoull(val, NULL, 10) * 1000ULL;
    else if (!strcmp(arg, "--rt")) rt_prio = atoi(val);
    else if (!strcmp(arg, "-c")) cmds[ncmds++] = (char *)val;
    else if (!strcmp(arg, "--at")) {
      char *end;
      unsigned long long ms = strtoull(val, &end, 10);
      if (end == val || *end != '=') die("--at wants MS=COMMAND, got '%s'", val);
      E.sched[E.sched_n].at_ms = ms;
      E.sched[E.sched_n++].cmd = end + 1;
    } else usage();
  }
  if (!a || !b) usage();
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_TIMERSLACK, 1UL);
  /*
   * Delay accuracy is wake-up latency: on a loaded 2-core box a normal task wakes milliseconds late. SCHED_FIFO
   * makes wake-ups prompt; the emulator only runs when packets or timers are due, and the kernel's RT throttling
   * still reserves 5% of each core for everyone else.
   */
  if (rt_prio > 0) {
    struct sched_param sp = {.sched_priority = rt_prio};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) fprintf(stderr, "wanbond-linkemu: no SCHED_FIFO (%s)\n", strerror(errno));
  }
  /* End in A's namespace: `ip netns pids` on the modem namespace then finds (and lab down kills) us. */
  E.down.in_fd = E.up.out_fd = open_tun(b);
  E.up.in_fd = E.down.out_fd = open_tun(a);

  uint64_t now = mono_ns();
  emu_reset_clock(&E, now);
  for (size_t i = 0; i < ncmds; i++) {
    char line[LINE_MAX_LEN], out[OUT_MAX];
    snprintf(line, sizeof line, "%s", cmds[i]);
    if (control_exec(&E, line, out, sizeof out)) die("%s", out);
  }
  /* Validate scheduled commands now rather than failing silently later. */
  for (size_t i = 0; i < E.sched_n; i++) {
    const char *c = E.sched[i].cmd;
    static const char *ok[] = {"cut", "restore", "rate", "delay", "jitter", "loss", "ge", "trace", "queue-bytes",
                               "queue-ms", "reorder", NULL};
    int found = 0;
    for (int k = 0; ok[k]; k++)
      if (!strncmp(c, ok[k], strlen(ok[k])) && (c[strlen(ok[k])] == ' ' || c[strlen(ok[k])] == 0)) found = 1;
    if (!found) die("--at: unknown command '%s'", c);
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  ep_add(ep, E.up.in_fd, TAG_A);
  ep_add(ep, E.down.in_fd, TAG_B);
  ep_add(ep, tfd, TAG_TIMER);
  for (int i = 0; i <= MAX_CLIENTS; i++) clients[i].fd = -1;
  int lfd = -1;
  if (control) {
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(control) >= sizeof sun.sun_path) die("control path too long: %s", control);
    strcpy(sun.sun_path, control);
    unlink(control);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) < 0 || listen(lfd, 8) < 0)
      die("cannot listen on %s", control);
    ep_add(ep, lfd, TAG_LISTEN);
  }
  if (use_stdin) {
    clients[MAX_CLIENTS].fd = STDIN_FILENO;
    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    ep_add(ep, STDIN_FILENO, TAG_CLIENT + MAX_CLIENTS);
  }
  printf("{\"ready\":true,\"pid\":%d}\n", (int)getpid());
  fflush(stdout);

  uint64_t armed = 0;
  while (!E.quit) {
    now = mono_ns();
    run_schedule(now);
    dir_run(&E.up, now + batch_ns);
    dir_run(&E.down, now + batch_ns);
    uint64_t next = dir_next_event(&E.up);
    uint64_t n2 = dir_next_event(&E.down);
    uint64_t n3 = next_schedule();
    if (n2 < next) next = n2;
    if (n3 < next) next = n3;
    if (next != armed) {
      struct itimerspec its = {0};
      if (next != UINT64_MAX) {
        its.it_value.tv_sec = (time_t)(next / 1000000000ULL);
        its.it_value.tv_nsec = (long)(next % 1000000000ULL);
      }
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
      armed = next;
    }
    struct epoll_event evs[16];
    int n = epoll_wait(ep, evs, 16, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag == TAG_A) read_tun(&E.up);
      else if (tag == TAG_B) read_tun(&E.down);
      else if (tag == TAG_TIMER) {
        uint64_t exp;
        if (read(tfd, &exp, sizeof exp) < 0) { /* spurious */
        }
        armed = 0;
      } else if (tag == TAG_LISTEN) {
        int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) continue;
        int slot = -1;
        for (int k = 0; k < MAX_CLIENTS; k++)
          if (clients[k].fd < 0) slot = k;
        if (slot < 0) {
          close(cfd);
          continue;
        }
        clients[slot].fd = cfd;
        clients[slot].len = 0;
        ep_add(ep, cfd, TAG_CLIENT + (uint64_t)slot);
      } else if (tag >= TAG_CLIENT) {
        client_input(&clients[tag - TAG_CLIENT], ep);
      }
    }
  }
  if (control) unlink(control);
  return 0;
}
