/*
 * UDP flooder for bench/hostile: sends COUNT datagrams to HOST:PORT at RATE per second (0 = as fast as it can),
 * in batches with sendmmsg. Kinds:
 *   random  lengths 1..1400, random bytes, the first byte half the time one of wanbond's message types (0x11..0x15)
 *   init    141-byte handshake initiations (type 0x11) with random keys and a random mac1: what a scanner that does
 *           not know the server's public key can send
 *   file    datagrams read from FILE (length-prefixed, u16 little endian), sent round robin
 * Prints one JSON line: {"sent":N,"errors":N,"seconds":S}.
 * Usage: flood HOST PORT COUNT RATE random|init|file [FILE]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXLEN 1500

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: flood HOST PORT COUNT RATE random|init|file [FILE]\n");
    return 2;
  }
  long count = atol(argv[3]);
  double rate = atof(argv[4]);
  const char *kind = argv[5];
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
    fprintf(stderr, "flood: bad address %s\n", argv[1]);
    return 2;
  }
  unsigned char *pool = NULL;
  size_t *lens = NULL, npool = 0;
  if (strcmp(kind, "file") == 0) {
    FILE *f = argc > 6 ? fopen(argv[6], "rb") : NULL;
    if (!f) {
      fprintf(stderr, "flood: cannot open datagram file\n");
      return 2;
    }
    unsigned char hdr[2];
    while (fread(hdr, 1, 2, f) == 2) {
      size_t n = hdr[0] | (hdr[1] << 8);
      if (n > MAXLEN) return 2;
      pool = realloc(pool, (npool + 1) * MAXLEN);
      lens = realloc(lens, (npool + 1) * sizeof *lens);
      if (fread(pool + npool * MAXLEN, 1, n, f) != n) break;
      lens[npool++] = n;
    }
    fclose(f);
    if (npool == 0) return 2;
  } else if (strcmp(kind, "random") != 0 && strcmp(kind, "init") != 0) {
    fprintf(stderr, "flood: unknown kind %s\n", kind);
    return 2;
  }
  rng ^= (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
    perror("flood: socket");
    return 1;
  }
  static unsigned char bufs[BATCH][MAXLEN];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  long sent = 0, errors = 0, pick = 0;
  double start = now_s();
  while (sent < count) {
    int n = count - sent < BATCH ? (int)(count - sent) : BATCH;
    for (int i = 0; i < n; i++) {
      size_t len;
      if (pool) {
        len = lens[pick % npool];
        memcpy(bufs[i], pool + (pick % npool) * MAXLEN, len);
        pick++;
      } else if (kind[0] == 'i') {
        len = 141;
        for (size_t j = 0; j < len; j += 8) {
          uint64_t r = next();
          memcpy(bufs[i] + j, &r, len - j < 8 ? len - j : 8);
        }
        bufs[i][0] = 0x11;
      } else {
        len = 1 + next() % 1400;
        for (size_t j = 0; j < len; j += 8) {
          uint64_t r = next();
          memcpy(bufs[i] + j, &r, len - j < 8 ? len - j : 8);
        }
        if (next() & 1) bufs[i][0] = 0x11 + next() % 5;
      }
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = len;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd, msgs, n, 0);
    if (r < 0) {
      errors++;
      if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED) {
        perror("flood: sendmmsg");
        return 1;
      }
      usleep(100);
      continue;
    }
    sent += r;
    if (rate > 0) {
      double due = start + sent / rate;
      double wait = due - now_s();
      if (wait > 0) usleep((useconds_t)(wait * 1e6));
    }
  }
  printf("{\"sent\":%ld,\"errors\":%ld,\"seconds\":%.3f}\n", sent, errors, now_s() - start);
  return 0;
}
