/* Text commands, one per line, answered by one JSON line: the same language for -c, --at, stdin and the socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkemu.h"

static int parse_dirs(const char *s, int *mask) {
  if (!s || !strcmp(s, "both")) *mask = 3;
  else if (!strcmp(s, "up")) *mask = 1;
  else if (!strcmp(s, "down")) *mask = 2;
  else return -1;
  return 0;
}

static int parse_num(const char *s, double min, double max, double *out) {
  if (!s) return -1;
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static int dir_json(const struct dir *d, char *out, size_t len) {
  const struct counters *c = &d->c;
  double bps = d->fixed ? d->rate_bps : d->trace.mean_bps;
  return snprintf(out, len,
                  "{\"mode\":\"%s\",\"rate_mbit\":%.3f,\"delay_ms\":%.3f,\"cut\":%s,"
                  "\"in_pkts\":%llu,\"in_bytes\":%llu,\"out_pkts\":%llu,\"out_bytes\":%llu,"
                  "\"drop\":{\"queue\":%llu,\"loss\":%llu,\"burst\":%llu,\"cut\":%llu,\"error\":%llu,\"nomem\":%llu},"
                  "\"queue_pkts\":%llu,\"queue_bytes\":%llu,\"inflight_pkts\":%zu}",
                  d->fixed ? "rate" : "trace", bps / 1e6, (double)d->delay_ns / 1e6, d->cut ? "true" : "false",
                  (unsigned long long)c->in_pkts, (unsigned long long)c->in_bytes, (unsigned long long)c->out_pkts,
                  (unsigned long long)c->out_bytes, (unsigned long long)c->drop_queue,
                  (unsigned long long)c->drop_loss, (unsigned long long)c->drop_burst,
                  (unsigned long long)c->drop_cut, (unsigned long long)c->drop_error,
                  (unsigned long long)c->drop_nomem, (unsigned long long)d->qpkts, (unsigned long long)d->qbytes,
                  d->heap_n);
}

#define FAIL(...)                                                                                                  \
  do {                                                                                                             \
    char msg_[320];                                                                                                \
    snprintf(msg_, sizeof msg_, __VA_ARGS__);                                                                      \
    for (char *q_ = msg_; *q_; q_++)                                                                               \
      if (*q_ == '"' || *q_ == '\\' || (unsigned char)*q_ < 32) *q_ = '\'';                                           \
    snprintf(out, outlen, "{\"ok\":false,\"error\":\"%s\"}", msg_);                                                \
    return -1;                                                                                                     \
  } while (0)

int control_exec(struct emu *e, char *line, char *out, size_t outlen) {
  char *save = NULL;
  char *cmd = strtok_r(line, " \t\r\n", &save);
  char *a1 = strtok_r(NULL, " \t\r\n", &save);
  char *a2 = strtok_r(NULL, " \t\r\n", &save);
  char *a3 = strtok_r(NULL, " \t\r\n", &save);
  char *a4 = strtok_r(NULL, " \t\r\n", &save);
  char *a5 = strtok_r(NULL, " \t\r\n", &save);
  struct dir *dirs[2] = {&e->up, &e->down};
  int mask = 3;
  double v = 0;
  uint64_t now = mono_ns();

  if (!cmd) FAIL("empty command");
  if (!strcmp(cmd, "stats")) {
    size_t n = (size_t)snprintf(out, outlen, "{\"ok\":true,\"t_ms\":%.3f,\"up\":", (double)(now - e->epoch_ns) / 1e6);
    n += (size_t)dir_json(&e->up, out + n, outlen - n);
    n += (size_t)snprintf(out + n, outlen - n, ",\"down\":");
    n += (size_t)dir_json(&e->down, out + n, outlen - n);
    snprintf(out + n, outlen - n, "}");
    return 0;
  }
  if (!strcmp(cmd, "ping")) {
    snprintf(out, outlen, "{\"ok\":true}");
    return 0;
  }
  if (!strcmp(cmd, "quit")) {
    e->quit = 1;
    snprintf(out, outlen, "{\"ok\":true}");
    return 0;
  }
  if (!strcmp(cmd, "reset")) {
    emu_reset_clock(e, now);
    snprintf(out, outlen, "{\"ok\":true}");
    return 0;
  }
  if (!strcmp(cmd, "zero")) {
    memset(&e->up.c, 0, sizeof e->up.c);
    memset(&e->down.c, 0, sizeof e->down.c);
    snprintf(out, outlen, "{\"ok\":true}");
    return 0;
  }
  if (!strcmp(cmd, "cut") || !strcmp(cmd, "restore")) {
    if (parse_dirs(a1, &mask)) FAIL("%s: direction must be up, down or both", cmd);
    for (int i = 0; i < 2; i++)
      if (mask & (1 << i)) dir_cut(dirs[i], !strcmp(cmd, "cut"));
    snprintf(out, outlen, "{\"ok\":true}");
    return 0;
  }
  if (parse_dirs(a1, &mask) || !a1) FAIL("%s: expected a direction (up, down or both)", cmd);
  for (int i = 0; i < 2; i++) {
    if (!(mask & (1 << i))) continue;
    struct dir *d = dirs[i];
    if (!strcmp(cmd, "rate")) {
      if (parse_num(a2, 0, 100000, &v)) FAIL("rate: expected Mbit/s (0 = unlimited)");
      dir_set_rate(d, v * 1e6);
    } else if (!strcmp(cmd, "trace")) {
      char err[200];
      struct trace t;
      if (!a2) FAIL("trace: expected a file");
      if (trace_load(&t, a2, err, sizeof err)) FAIL("%s", err);
      free(d->trace.ms);
      d->trace = t;
      d->fixed = 0;
      d->opp_base_ns = e->epoch_ns;
      d->opp_idx = 0;
      if (d->qhead) trace_seek(d, now);
    } else if (!strcmp(cmd, "delay")) {
      if (parse_num(a2, 0, 60000, &v)) FAIL("delay: expected milliseconds");
      d->delay_ns = (uint64_t)(v * 1e6);
    } else if (!strcmp(cmd, "jitter")) {
      if (parse_num(a2, 0, 60000, &v)) FAIL("jitter: expected milliseconds");
      d->jitter_ns = (uint64_t)(v * 1e6);
    } else if (!strcmp(cmd, "reorder")) {
      if (parse_num(a2, 0, 1, &v)) FAIL("reorder: expected 0 or 1");
      d->reorder = v != 0;
    } else if (!strcmp(cmd, "loss")) {
      if (parse_num(a2, 0, 100, &v)) FAIL("loss: expected a percentage");
      d->loss = v / 100.0;
    } else if (!strcmp(cmd, "ge")) {
      double p, r, h = 100, k = 0;
      if (parse_num(a2, 0, 100, &p) || parse_num(a3, 0, 100, &r) || (a4 && parse_num(a4, 0, 100, &h)) ||
          (a5 && parse_num(a5, 0, 100, &k)))
        FAIL("ge: expected p r [h k] in percent (h = loss when bad, k = loss when good)");
      d->ge_on = p > 0;
      d->ge_bad = 0;
      d->ge_p = p / 100.0;
      d->ge_r = r / 100.0;
      d->ge_h = h / 100.0;
      d->ge_k = k / 100.0;
    } else if (!strcmp(cmd, "queue-bytes")) {
      if (parse_num(a2, 0, 1e9, &v)) FAIL("queue-bytes: expected bytes (0 = no byte limit)");
      d->qlimit_bytes = (uint64_t)v;
    } else if (!strcmp(cmd, "queue-ms")) {
      if (parse_num(a2, 0, 600000, &v)) FAIL("queue-ms: expected milliseconds (0 = no time limit)");
      d->qlimit_ns = (uint64_t)(v * 1e6);
    } else {
      FAIL("unknown command '%s'", cmd);
    }
  }
  snprintf(out, outlen, "{\"ok\":true}");
  return 0;
}
