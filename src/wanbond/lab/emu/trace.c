/* Mahimahi traces: one integer per line, the millisecond of one 1500-byte delivery opportunity; the file loops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkemu.h"

int trace_load(struct trace *t, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, n = 0, line = 0;
  uint32_t *ms = malloc(cap * sizeof *ms);
  char buf[128];
  long prev = 0;
  while (ms && fgets(buf, sizeof buf, f)) {
    line++;
    char *s = buf;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\n' || *s == '\r' || *s == '#' || *s == 0) continue;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
    if (errno || end == s || *end != 0 || v < 0 || v > 0x7fffffffL) {
      snprintf(err, errlen, "%s:%zu: expected a non-negative integer (milliseconds)", path, line);
      goto fail;
    }
    if (v < prev) {
      snprintf(err, errlen, "%s:%zu: timestamps must not decrease (%ld after %ld)", path, line, v, prev);
      goto fail;
    }
    prev = v;
    if (n == cap) {
      cap *= 2;
      uint32_t *grown = realloc(ms, cap * sizeof *ms);
      if (!grown) break;
      ms = grown;
    }
    ms[n++] = (uint32_t)v;
  }
  fclose(f);
  f = NULL;
  if (!ms) {
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  if (n == 0 || ms[n - 1] == 0) {
    snprintf(err, errlen, "%s: a trace needs at least one opportunity and a last timestamp above 0", path);
    goto fail;
  }
  t->ms = ms;
  t->n = n;
  t->period_ms = ms[n - 1];
  t->mean_bps = (double)n * OPP_BYTES * 8.0 * 1000.0 / (double)t->period_ms;
  return 0;
fail:
  if (f) fclose(f);
  free(ms);
  return -1;
}

uint64_t trace_opp_ns(const struct dir *d) { return d->opp_base_ns + (uint64_t)d->trace.ms[d->opp_idx] * 1000000ULL; }

/* Like Mahimahi, the next period starts at the last timestamp of this one. */
void trace_advance(struct dir *d) {
  if (++d->opp_idx == d->trace.n) {
    d->opp_idx = 0;
    d->opp_base_ns += d->trace.period_ms * 1000000ULL;
  }
}

/* Skips the opportunities that passed while the queue was empty: they are lost. */
void trace_seek(struct dir *d, uint64_t t) {
  uint64_t period_ns = d->trace.period_ms * 1000000ULL;
  if (t > d->opp_base_ns + period_ns) {
    uint64_t k = (t - d->opp_base_ns) / period_ns;
    d->opp_base_ns += k * period_ns;
    d->opp_idx = 0;
  }
  while (trace_opp_ns(d) < t) trace_advance(d);
}
