/* One direction of an emulated link: drop-tail queue -> bottleneck (fixed rate or trace) -> loss -> delay line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linkemu.h"

static struct pkt *freelist;
static size_t pool_used;
static uint64_t seq_counter;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

void rng_seed(uint64_t seed) { rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL; }

/* splitmix64: tiny, fast, and good enough for loss and jitter draws; seeded so runs repeat. */
uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double uniform(void) { return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0); }

struct pkt *pkt_alloc(void) {
  struct pkt *p = freelist;
  if (p) {
    freelist = p->next;
    pool_used++;
    return p;
  }
  if (pool_used >= POOL_MAX) return NULL;
  p = malloc(sizeof *p);
  if (p) pool_used++;
  return p;
}

void pkt_free(struct pkt *p) {
  p->next = freelist;
  freelist = p;
  pool_used--;
}

void dir_init(struct dir *d, const char *name) {
  memset(d, 0, sizeof *d);
  d->name = name;
  d->in_fd = d->out_fd = -1;
  d->fixed = 1;
  d->qlimit_bytes = 1500u * 1000u;
  d->ge_h = 1.0;
}

static uint64_t tx_ns(const struct dir *d, uint32_t len) {
  if (d->rate_bps <= 0) return 0;
  return (uint64_t)((double)len * 8e9 / d->rate_bps);
}

static int heap_less(const struct pkt *a, const struct pkt *b) {
  return a->t_deliver < b->t_deliver || (a->t_deliver == b->t_deliver && a->seq < b->seq);
}

static int heap_push(struct dir *d, struct pkt *p) {
  if (d->heap_n == d->heap_cap) {
    size_t cap = d->heap_cap ? d->heap_cap * 2 : 1024;
    struct pkt **h = realloc(d->heap, cap * sizeof *h);
    if (!h) return -1;
    d->heap = h;
    d->heap_cap = cap;
  }
  size_t i = d->heap_n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!heap_less(p, d->heap[parent])) break;
    d->heap[i] = d->heap[parent];
    i = parent;
  }
  d->heap[i] = p;
  return 0;
}

static struct pkt *heap_pop(struct dir *d) {
  struct pkt *top = d->heap[0];
  struct pkt *last = d->heap[--d->heap_n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const struct pkt *best = last;
    if (l < d->heap_n && heap_less(d->heap[l], best)) {
      m = l;
      best = d->heap[l];
    }
    if (r < d->heap_n && heap_less(d->heap[r], best)) m = r;
    if (m == i) break;
    d->heap[i] = d->heap[m];
    i = m;
  }
  if (d->heap_n > 0) d->heap[i] = last;
  return top;
}

static double current_bps(const struct dir *d) { return d->fixed ? d->rate_bps : d->trace.mean_bps; }

void dir_queue_delay_bps(const struct dir *d, double *bps) { *bps = current_bps(d); }

void dir_ingress(struct dir *d, struct pkt *p, uint64_t now) {
  d->c.in_pkts++;
  d->c.in_bytes += p->len;
  if (d->cut) {
    d->c.drop_cut++;
    pkt_free(p);
    return;
  }
  if (d->qlimit_bytes && d->qbytes + p->len > d->qlimit_bytes) {
    d->c.drop_queue++;
    pkt_free(p);
    return;
  }
  double bps = current_bps(d);
  if (d->qlimit_ns && bps > 0 && (double)d->qbytes * 8e9 / bps > (double)d->qlimit_ns) {
    d->c.drop_queue++;
    pkt_free(p);
    return;
  }
  p->t_arr = now;
  p->remaining = p->len;
  p->next = NULL;
  if (!d->qhead) {
    d->qhead = d->qtail = p;
    if (d->fixed) {
      uint64_t start = now > d->busy_until ? now : d->busy_until;
      d->head_dep = start + tx_ns(d, p->len);
    } else {
      trace_seek(d, now);
    }
  } else {
    d->qtail->next = p;
    d->qtail = p;
  }
  d->qbytes += p->len;
  d->qpkts++;
}

/* A packet leaves the bottleneck at time t: it may be lost on the "air", else it enters the delay line. */
static void depart(struct dir *d, struct pkt *p, uint64_t t) {
  d->qbytes -= p->len;
  d->qpkts--;
  if (d->ge_on) {
    double lossp = d->ge_bad ? d->ge_h : d->ge_k;
    int lost = uniform() < lossp;
    double u = uniform();
    if (d->ge_bad ? u < d->ge_r : u < d->ge_p) d->ge_bad = !d->ge_bad;
    if (lost) {
      d->c.drop_burst++;
      pkt_free(p);
      return;
    }
  }
  if (d->loss > 0 && uniform() < d->loss) {
    d->c.drop_loss++;
    pkt_free(p);
    return;
  }
  int64_t deliver = (int64_t)(t + d->delay_ns);
  if (d->jitter_ns) {
    deliver += (int64_t)((uniform() * 2.0 - 1.0) * (double)d->jitter_ns);
    if (deliver < (int64_t)t) deliver = (int64_t)t;
  }
  /* Without reordering a later packet never overtakes an earlier one (netem's rate/jitter semantics). */
  if (!d->reorder && (uint64_t)deliver < d->last_deliver) deliver = (int64_t)d->last_deliver;
  if ((uint64_t)deliver > d->last_deliver) d->last_deliver = (uint64_t)deliver;
  p->t_deliver = (uint64_t)deliver;
  p->seq = ++seq_counter;
  if (heap_push(d, p) < 0) {
    d->c.drop_nomem++;
    pkt_free(p);
  }
}

static struct pkt *pop_head(struct dir *d) {
  struct pkt *p = d->qhead;
  d->qhead = p->next;
  if (!d->qhead) d->qtail = NULL;
  return p;
}

static void serve(struct dir *d, uint64_t until) {
  if (d->fixed) {
    while (d->qhead && d->head_dep <= until) {
      uint64_t t = d->head_dep;
      struct pkt *p = pop_head(d);
      d->busy_until = t;
      depart(d, p, t);
      if (d->qhead) {
        uint64_t start = d->qhead->t_arr > t ? d->qhead->t_arr : t;
        d->head_dep = start + tx_ns(d, d->qhead->len);
      }
    }
    return;
  }
  while (d->qhead) {
    uint64_t t = trace_opp_ns(d);
    if (t > until) break;
    uint32_t credit = OPP_BYTES;
    /* Mahimahi semantics: one opportunity carries 1500 bytes now or never; a packet may span opportunities. */
    while (d->qhead && credit > 0 && d->qhead->t_arr <= t) {
      struct pkt *h = d->qhead;
      uint32_t take = h->remaining < credit ? h->remaining : credit;
      h->remaining -= take;
      credit -= take;
      if (h->remaining == 0) depart(d, pop_head(d), t);
    }
    trace_advance(d);
  }
}

static void deliver(struct dir *d, uint64_t until) {
  while (d->heap_n && d->heap[0]->t_deliver <= until) {
    struct pkt *p = heap_pop(d);
    ssize_t n = write(d->out_fd, p->data, p->len);
    if (n == (ssize_t)p->len) {
      d->c.out_pkts++;
      d->c.out_bytes += p->len;
    } else {
      d->c.drop_error++;
    }
    pkt_free(p);
  }
}

void dir_run(struct dir *d, uint64_t until) {
  serve(d, until);
  deliver(d, until);
}

uint64_t dir_next_event(struct dir *d) {
  uint64_t next = UINT64_MAX;
  if (d->qhead) next = d->fixed ? d->head_dep : trace_opp_ns(d);
  if (d->heap_n && d->heap[0]->t_deliver < next) next = d->heap[0]->t_deliver;
  return next;
}

/* A cut link loses everything it holds, like a modem that drops off the network. */
void dir_cut(struct dir *d, int cut) {
  d->cut = cut;
  if (!cut) return;
  while (d->qhead) {
    struct pkt *p = pop_head(d);
    d->qbytes -= p->len;
    d->qpkts--;
    d->c.drop_cut++;
    pkt_free(p);
  }
  while (d->heap_n) {
    pkt_free(heap_pop(d));
    d->c.drop_cut++;
  }
  d->last_deliver = 0;
}

void dir_set_rate(struct dir *d, double bps) {
  d->fixed = 1;
  d->rate_bps = bps;
  if (d->qhead) {
    uint64_t start = d->qhead->t_arr > d->busy_until ? d->qhead->t_arr : d->busy_until;
    d->head_dep = start + tx_ns(d, d->qhead->len);
  }
}

void dir_reset_clock(struct dir *d, uint64_t now) {
  d->opp_base_ns = now;
  d->opp_idx = 0;
  if (!d->fixed && d->qhead) trace_seek(d, now);
}
