/* wanbond-linkemu: one emulated WAN link between two TUN devices (see docs/lab.md). */
#ifndef LINKEMU_H
#define LINKEMU_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048     /* TUN MTU is 1500 in the lab; anything larger is truncated by read() and counted */
#define OPP_BYTES 1500   /* one Mahimahi delivery opportunity */
#define POOL_MAX 200000  /* hard cap on buffered packets per process, whatever the queue limits say */

struct pkt {
  struct pkt *next;
  uint64_t t_arr;      /* ns, CLOCK_MONOTONIC */
  uint64_t t_deliver;  /* ns */
  uint64_t seq;        /* keeps equal delivery times in arrival order */
  uint32_t len;
  uint32_t remaining;  /* bytes still to serve in trace mode (a packet may span opportunities) */
  uint8_t data[PKT_MAX];
};

struct trace {
  uint32_t *ms;  /* non-decreasing opportunity times within one period */
  size_t n;
  uint64_t period_ms;
  double mean_bps;
};

struct counters {
  uint64_t in_pkts, in_bytes, out_pkts, out_bytes;
  uint64_t drop_queue, drop_loss, drop_burst, drop_cut, drop_error, drop_nomem;
};

struct dir {
  const char *name;
  int in_fd, out_fd;
  /* capacity: trace when trace.n > 0 and !fixed, else rate_bps (0 = unlimited) */
  int fixed;
  double rate_bps;
  struct trace trace;
  uint64_t opp_base_ns; /* absolute time of the current trace period's start */
  size_t opp_idx;       /* next opportunity index within the period */
  /* delay */
  uint64_t delay_ns, jitter_ns;
  int reorder;
  /* loss */
  double loss;             /* probability 0..1 */
  int ge_on, ge_bad;
  double ge_p, ge_r, ge_h, ge_k; /* P(G->B), P(B->G), loss in bad, loss in good */
  /* queue */
  uint64_t qlimit_bytes, qlimit_ns;
  struct pkt *qhead, *qtail;
  uint64_t qbytes, qpkts;
  uint64_t head_dep;   /* fixed mode: departure time of qhead */
  uint64_t busy_until; /* fixed mode: when the last served packet left the bottleneck */
  /* delay line: binary min-heap on (t_deliver, seq) */
  struct pkt **heap;
  size_t heap_n, heap_cap;
  uint64_t last_deliver;
  int cut;
  struct counters c;
};

/* link.c */
void dir_init(struct dir *d, const char *name);
void dir_ingress(struct dir *d, struct pkt *p, uint64_t now);
void dir_run(struct dir *d, uint64_t until);
uint64_t dir_next_event(struct dir *d); /* UINT64_MAX if idle */
void dir_cut(struct dir *d, int cut);
void dir_set_rate(struct dir *d, double bps);
void dir_reset_clock(struct dir *d, uint64_t now);
void dir_queue_delay_bps(const struct dir *d, double *bps);
struct pkt *pkt_alloc(void);
void pkt_free(struct pkt *p);
uint64_t rng_next(void);
void rng_seed(uint64_t seed);

/* trace.c */
int trace_load(struct trace *t, const char *path, char *err, size_t errlen);
void trace_seek(struct dir *d, uint64_t t);
uint64_t trace_opp_ns(const struct dir *d);
void trace_advance(struct dir *d);

/* control.c */
struct emu;
int control_exec(struct emu *e, char *line, char *out, size_t outlen);

struct sched_entry {
  uint64_t at_ms;
  char *cmd;
  int done;
};

struct emu {
  struct dir up, down;
  uint64_t epoch_ns; /* schedule and trace clock origin; `reset` moves it */
  struct sched_entry *sched;
  size_t sched_n;
  int quit;
};

uint64_t mono_ns(void);
void emu_reset_clock(struct emu *e, uint64_t now);

#endif
