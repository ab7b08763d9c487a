/*
 * tuntap2: a small Node-API addon that owns one TUN queue (IFF_TUN | IFF_NO_PI).
 *
 * Receive path: one libuv poll handle per device. On every readable wake-up it drains up to `batch` packets with
 * plain read(2) into one preallocated ArrayBuffer (slot i at offset i * slot) and makes ONE call into JavaScript
 * with the packet count; the lengths sit in a preallocated Uint32Array. No thread, no promise, no allocation per
 * packet. libuv polls level-triggered, so packets left over when a batch is full wake the loop again at once.
 *
 * Plain C99 + POSIX + Linux ioctls only, so the same file builds with glibc and with OpenWrt's musl SDK.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

/* musl-gcc on a glibc host (and some SDKs) have no kernel headers: the TUN ABI is stable, so spell it out. */
#if defined(__has_include)
#if __has_include(<linux/if_tun.h>)
#include <linux/if_tun.h>
#endif
#endif
#ifndef TUNSETIFF
#define TUNSETIFF _IOW('T', 202, int)
#endif
#ifndef IFF_TUN
#define IFF_TUN 0x0001
#endif
#ifndef IFF_NO_PI
#define IFF_NO_PI 0x1000
#endif
#ifndef IFF_MULTI_QUEUE
#define IFF_MULTI_QUEUE 0x0100
#endif

#define MAX_BATCH 1024
#define MIN_SLOT 68
#define MAX_SLOT 65536

/* Marks the JS objects this addon made, so a stray object passed from JS is a TypeError and never a bad cast. */
static const napi_type_tag TUN_TAG = {0x7475e74170325f31ULL, 0x9a1c3b5d7f2e4a60ULL};

typedef struct tun_dev {
  napi_env env;
  int fd;
  char name[IFNAMSIZ];
  uint32_t batch;
  uint32_t slot;
  uint8_t *buf;      /* owned by the ArrayBuffer held in buf_ref */
  uint32_t *lengths; /* owned by the ArrayBuffer held in lengths_ref */
  napi_ref buf_ref;
  napi_ref lengths_ref;
  napi_ref self_ref; /* strong while polling: an active device must not be collected */
  napi_ref on_batch;
  napi_ref on_error;
  napi_async_context async_ctx;
  uv_poll_t poll;
  int poll_inited;  /* uv_poll_init done */
  int poll_active;  /* uv_poll_start in force */
  int poll_closing; /* uv_close called; the struct may be freed only after its callback */
  int closed;
  int finalized;
  int hook_added;
  double rx_packets, rx_batches, rx_truncated, tx_packets, tx_again;
} tun_dev;

/* ---------- errors ---------- */

static const char *errno_code(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case EINTR: return "EINTR";
  case EIO: return "EIO";
  case ENXIO: return "ENXIO";
  case EBADF: return "EBADF";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case EFAULT: return "EFAULT";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case ENODEV: return "ENODEV";
  case EINVAL: return "EINVAL";
  case ENFILE: return "ENFILE";
  case EMFILE: return "EMFILE";
  case ENOSPC: return "ENOSPC";
  case EMSGSIZE: return "EMSGSIZE";
  case ENOBUFS: return "ENOBUFS";
  case EBADFD: return "EBADFD";
  case ENOTTY: return "ENOTTY";
  case ENETDOWN: return "ENETDOWN";
  default: return NULL;
  }
}

/* What a person should check, for the errors that TUNSETIFF and /dev/net/tun actually return. */
static const char *open_hint(int e) {
  switch (e) {
  case EPERM:
  case EACCES: return "are you root / is kmod-tun loaded?";
  case ENOENT:
  case ENODEV:
  case ENXIO: return "no /dev/net/tun: is kmod-tun loaded (modprobe tun)?";
  case EBUSY: return "the device is already open by another process";
  case EINVAL:
    return "bad name, or a device of that name exists and is not a TUN with the same multi_queue setting";
  case EMFILE:
  case ENFILE: return "too many open files";
  default: return NULL;
  }
}

static const char *write_hint(int e) {
  switch (e) {
  case EIO: return "the interface is down (ip link set <name> up)";
  case EINVAL: return "not an IPv4/IPv6 packet (IFF_NO_PI: the first byte must be 0x4_ or 0x6_)";
  default: return NULL;
  }
}

static const char *read_hint(int e) {
  return e == EBADF || e == EBADFD ? "the interface was deleted or its queue detached" : NULL;
}

/* Builds Error{message, code, errno}. `what` is like "TUN open failed"; hint may be NULL. */
static napi_value make_error(napi_env env, const char *what, int e, const char *hint) {
  char msg[512];
  char codebuf[16];
  const char *code = errno_code(e);
  if (code == NULL) {
    snprintf(codebuf, sizeof codebuf, "E%d", e);
    code = codebuf;
  }
  if (hint != NULL) {
    snprintf(msg, sizeof msg, "%s: %s \xE2\x80\x94 %s", what, code, hint);
  } else {
    snprintf(msg, sizeof msg, "%s: %s (%s)", what, code, strerror(e));
  }
  napi_value jmsg, jcode, jerrno, err;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode);
  napi_create_error(env, jcode, jmsg, &err);
  napi_create_int32(env, e, &jerrno);
  napi_set_named_property(env, err, "errno", jerrno);
  return err;
}

static void throw_errno(napi_env env, const char *what, int e, const char *hint) {
  napi_throw(env, make_error(env, what, e, hint));
}

/* Every N-API call below can only fail on a broken engine or a pending exception; bail out quietly then. */
#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

/* ---------- lifetime ---------- */

static void maybe_free(tun_dev *d) {
  if (!d->finalized) return;
  if (d->poll_inited && d->poll_closing != 2) return;
  free(d);
}

static void on_poll_closed(uv_handle_t *h) {
  tun_dev *d = (tun_dev *)h->data;
  d->poll_closing = 2;
  maybe_free(d);
}

/* `teardown`: the JS engine is going away; make no N-API call then. */
static void stop_poll(tun_dev *d, int teardown) {
  if (d->poll_active) {
    uv_poll_stop(&d->poll);
    d->poll_active = 0;
    if (!teardown && d->self_ref != NULL) napi_reference_unref(d->env, d->self_ref, NULL);
  }
}

static void delete_ref(napi_env env, napi_ref *r) {
  if (*r != NULL) {
    napi_delete_reference(env, *r);
    *r = NULL;
  }
}

static void env_cleanup(void *arg);

/* Idempotent. Stops the watcher before closing the fd (libuv must never poll a closed, maybe reused, fd). */
static void close_dev(tun_dev *d, int from_env_teardown) {
  if (d->closed) return;
  d->closed = 1;
  stop_poll(d, from_env_teardown);
  if (d->poll_inited && d->poll_closing == 0) {
    d->poll_closing = 1;
    uv_close((uv_handle_t *)&d->poll, on_poll_closed);
  }
  if (d->fd >= 0) {
    close(d->fd);
    d->fd = -1;
  }
  if (!from_env_teardown) {
    napi_env env = d->env;
    delete_ref(env, &d->on_batch);
    delete_ref(env, &d->on_error);
    delete_ref(env, &d->buf_ref);
    delete_ref(env, &d->lengths_ref);
    if (d->async_ctx != NULL) {
      napi_async_destroy(env, d->async_ctx);
      d->async_ctx = NULL;
    }
    if (d->hook_added) {
      napi_remove_env_cleanup_hook(env, env_cleanup, d);
      d->hook_added = 0;
    }
  }
}

/* Worker or process teardown: release the kernel device even if JS never called close(). */
static void env_cleanup(void *arg) {
  tun_dev *d = (tun_dev *)arg;
  d->hook_added = 0;
  close_dev(d, 1);
}

static void finalize_dev(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  tun_dev *d = (tun_dev *)data;
  if (!d->closed) close_dev(d, 0);
  delete_ref(env, &d->self_ref);
  d->finalized = 1;
  maybe_free(d);
}

/* ---------- argument helpers ---------- */

static tun_dev *get_dev(napi_env env, napi_value obj, int must_be_open) {
  napi_valuetype t;
  bool ok = false;
  void *p = NULL;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object ||
      napi_check_object_type_tag(env, obj, &TUN_TAG, &ok) != napi_ok || !ok ||
      napi_unwrap(env, obj, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a TUN handle returned by open()");
    return NULL;
  }
  tun_dev *d = (tun_dev *)p;
  if (must_be_open && d->closed) {
    throw_errno(env, "TUN device is closed", EBADF, "it was closed with close()");
    return NULL;
  }
  return d;
}

/* The head every method that takes a handle first shares: reads up to `want` arguments (missing ones are
 * undefined) and unwraps the handle. NULL means a JS exception is pending. */
static tun_dev *method_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, int must_be_open) {
  size_t argc = want;
  napi_value undef;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || napi_get_undefined(env, &undef) != napi_ok) {
    napi_throw_error(env, NULL, "tuntap2: N-API call failed");
    return NULL;
  }
  for (size_t i = argc; i < want; i++) argv[i] = undef;
  return get_dev(env, argv[0], must_be_open);
}

/* uv_poll_init once per device (start and setRef both need the handle); 0, or -1 with a JS exception pending. */
static int ensure_poll(napi_env env, tun_dev *d) {
  if (d->poll_inited) return 0;
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "tuntap2: no event loop");
    return -1;
  }
  int r = uv_poll_init(loop, &d->poll, d->fd);
  if (r < 0) {
    throw_errno(env, "TUN poll failed", -r, NULL);
    return -1;
  }
  d->poll.data = d;
  d->poll_inited = 1;
  return 0;
}

static int get_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t n = 0;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is_ta) == napi_ok && is_ta &&
      napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL) == napi_ok && type == napi_uint8_array) {
    *data = (const uint8_t *)p;
    *len = n;
    return 1;
  }
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "a packet must be a Uint8Array (or Buffer)");
  return 0;
}

static int get_u32(napi_env env, napi_value v, uint32_t lo, uint32_t hi, const char *what, uint32_t *out) {
  napi_valuetype t;
  double x;
  char msg[128];
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_number && napi_get_value_double(env, v, &x) == napi_ok &&
      x >= lo && x <= hi && x == (double)(uint32_t)x) {
    *out = (uint32_t)x;
    return 1;
  }
  snprintf(msg, sizeof msg, "%s must be an integer in %u..%u", what, lo, hi);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return 0;
}

static int get_function(napi_env env, napi_value v, const char *what) {
  napi_valuetype t;
  char msg[96];
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_function) return 1;
  snprintf(msg, sizeof msg, "%s must be a function", what);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return 0;
}

static napi_value set_prop_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value jv;
  CHECK(napi_create_double(env, v, &jv));
  CHECK(napi_set_named_property(env, obj, key, jv));
  return obj;
}

/* ---------- open(name, multiQueue, batch, slot) -> handle ---------- */

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "open(name, multiQueue, batchSize, bufferSize)");
    return NULL;
  }
  char name[IFNAMSIZ + 1];
  size_t name_len = 0;
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[0], &t));
  if (t != napi_string) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "name must be a string");
    return NULL;
  }
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len));
  if (name_len >= IFNAMSIZ) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "name must be at most 15 bytes");
    return NULL;
  }
  bool multi = false;
  CHECK(napi_typeof(env, argv[1], &t));
  if (t != napi_boolean) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "multiQueue must be a boolean");
    return NULL;
  }
  CHECK(napi_get_value_bool(env, argv[1], &multi));
  uint32_t batch, slot;
  if (!get_u32(env, argv[2], 1, MAX_BATCH, "batchSize", &batch)) return NULL;
  if (!get_u32(env, argv[3], MIN_SLOT, MAX_SLOT, "bufferSize", &slot)) return NULL;

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    throw_errno(env, "TUN open failed", e, open_hint(e));
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0);
  memcpy(ifr.ifr_name, name, name_len);
  if (ioctl(fd, TUNSETIFF, (void *)&ifr) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, "TUN open failed", e, open_hint(e));
    return NULL;
  }

  tun_dev *d = (tun_dev *)calloc(1, sizeof *d);
  if (d == NULL) {
    close(fd);
    throw_errno(env, "TUN open failed", ENOMEM, NULL);
    return NULL;
  }
  d->env = env;
  d->fd = fd;
  d->batch = batch;
  d->slot = slot;
  memcpy(d->name, ifr.ifr_name, IFNAMSIZ);
  d->name[IFNAMSIZ - 1] = '\0';

  napi_value obj, ab, lab, lengths, jname, jfd;
  void *p = NULL;
  /* From here on the wrapper owns `d`: a failure leaves it to the finalizer, which closes the fd. */
  if (napi_create_object(env, &obj) != napi_ok || napi_wrap(env, obj, d, finalize_dev, NULL, NULL) != napi_ok) {
    close(fd);
    free(d);
    return NULL;
  }
  CHECK(napi_type_tag_object(env, obj, &TUN_TAG));
  if (napi_add_env_cleanup_hook(env, env_cleanup, d) == napi_ok) d->hook_added = 1;
  CHECK(napi_create_reference(env, obj, 0, &d->self_ref));
  CHECK(napi_create_arraybuffer(env, (size_t)batch * slot, &p, &ab));
  d->buf = (uint8_t *)p;
  CHECK(napi_create_reference(env, ab, 1, &d->buf_ref));
  CHECK(napi_create_arraybuffer(env, (size_t)batch * sizeof(uint32_t), &p, &lab));
  d->lengths = (uint32_t *)p;
  CHECK(napi_create_reference(env, lab, 1, &d->lengths_ref));
  CHECK(napi_create_typedarray(env, napi_uint32_array, batch, lab, 0, &lengths));
  CHECK(napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &jname));
  CHECK(napi_create_int32(env, fd, &jfd));
  CHECK(napi_set_named_property(env, obj, "name", jname));
  CHECK(napi_set_named_property(env, obj, "fd", jfd));
  CHECK(napi_set_named_property(env, obj, "buffer", ab));
  CHECK(napi_set_named_property(env, obj, "lengths", lengths));
  if (set_prop_num(env, obj, "batchSize", batch) == NULL) return NULL;
  if (set_prop_num(env, obj, "bufferSize", slot) == NULL) return NULL;
  return obj;
}

/* ---------- receive ---------- */

static void report_error(tun_dev *d, int e) {
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value err = make_error(env, "TUN read failed", e, read_hint(e));
  napi_value cb, recv, result;
  if (d->on_error != NULL && napi_get_reference_value(env, d->on_error, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv);
    if (napi_make_callback(env, d->async_ctx, recv, cb, 1, &err, &result) == napi_pending_exception) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
      napi_fatal_exception(env, ex);
    }
  } else {
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  tun_dev *d = (tun_dev *)h->data;
  if (d->closed || !d->poll_active) return;
  if (status < 0) {
    stop_poll(d, 0);
    report_error(d, -status);
    return;
  }
  uint32_t n = 0;
  int fatal = 0;
  while (n < d->batch) {
    ssize_t r = read(d->fd, d->buf + (size_t)n * d->slot, d->slot);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) fatal = errno;
      break;
    }
    if (r == 0) break;
    /* TUN returns the full packet length even when it had to cut it: such a packet is useless, drop it. */
    if ((size_t)r > d->slot) {
      d->rx_truncated += 1;
      continue;
    }
    d->lengths[n++] = (uint32_t)r;
  }
  if (n > 0) {
    d->rx_packets += n;
    d->rx_batches += 1;
    napi_env env = d->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      /* napi_make_callback wants an object receiver: undefined would throw inside ToObject. */
      napi_value cb, recv, arg, result;
      if (napi_get_reference_value(env, d->on_batch, &cb) == napi_ok && cb != NULL) {
        napi_get_global(env, &recv);
        napi_create_uint32(env, n, &arg);
        napi_status s = napi_make_callback(env, d->async_ctx, recv, cb, 1, &arg, &result);
        if (s == napi_pending_exception) {
          napi_value ex;
          napi_get_and_clear_last_exception(env, &ex);
          napi_fatal_exception(env, ex);
        }
      }
      napi_close_handle_scope(env, scope);
    }
  }
  /* A read error other than EAGAIN (e.g. EBADFD once the interface is deleted) would spin a level-triggered
   * watcher forever: stop and tell JS once. */
  if (fatal != 0 && !d->closed) {
    stop_poll(d, 0);
    report_error(d, fatal);
  }
}

/* start(handle, onBatch(count), onError(err)): (re)starts the watcher; calling it again replaces the callbacks. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  tun_dev *d = method_args(env, info, 3, argv, 1);
  if (d == NULL) return NULL;
  if (!get_function(env, argv[1], "onBatch") || !get_function(env, argv[2], "onError")) return NULL;
  delete_ref(env, &d->on_batch);
  delete_ref(env, &d->on_error);
  CHECK(napi_create_reference(env, argv[1], 1, &d->on_batch));
  CHECK(napi_create_reference(env, argv[2], 1, &d->on_error));
  if (d->async_ctx == NULL) {
    napi_value res_name;
    CHECK(napi_create_string_utf8(env, "tuntap2:read", NAPI_AUTO_LENGTH, &res_name));
    CHECK(napi_async_init(env, argv[0], res_name, &d->async_ctx));
  }
  if (ensure_poll(env, d) < 0) return NULL;
  if (!d->poll_active) {
    int r = uv_poll_start(&d->poll, UV_READABLE, on_readable);
    if (r < 0) {
      throw_errno(env, "TUN poll failed", -r, NULL);
      return NULL;
    }
    d->poll_active = 1;
    CHECK(napi_reference_ref(env, d->self_ref, NULL));
  }
  return NULL;
}

/* stop(handle): stop reading (back-pressure); packets then queue in the kernel up to txqueuelen. */
static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  tun_dev *d = method_args(env, info, 1, argv, 0);
  if (d == NULL) return NULL;
  stop_poll(d, 0);
  return NULL; /* a callback's NULL is undefined in JS */
}

/* setRef(handle, bool): whether an active reader keeps the event loop alive (default yes, like a socket). */
static napi_value js_set_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  bool on = true;
  tun_dev *d = method_args(env, info, 2, argv, 1);
  if (d == NULL) return NULL;
  if (napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setRef(handle, boolean)");
    return NULL;
  }
  if (ensure_poll(env, d) < 0) return NULL;
  if (on) {
    uv_ref((uv_handle_t *)&d->poll);
  } else {
    uv_unref((uv_handle_t *)&d->poll);
  }
  return NULL;
}

/* ---------- write ---------- */

/* 1 written, 0 EAGAIN, -errno otherwise. */
static int write_one(tun_dev *d, const uint8_t *p, size_t n) {
  for (;;) {
    ssize_t r = write(d->fd, p, n);
    if (r >= 0) {
      d->tx_packets += 1;
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      d->tx_again += 1;
      return 0;
    }
    return -errno;
  }
}

static napi_value js_write(napi_env env, napi_callback_info info) {
  napi_value argv[2], out;
  tun_dev *d = method_args(env, info, 2, argv, 1);
  if (d == NULL) return NULL;
  const uint8_t *p;
  size_t n;
  if (!get_bytes(env, argv[1], &p, &n)) return NULL;
  int r = write_one(d, p, n);
  if (r < 0) {
    throw_errno(env, "TUN write failed", -r, write_hint(-r));
    return NULL;
  }
  CHECK(napi_get_boolean(env, r == 1, &out));
  return out;
}

/* writeBatch(handle, packets[, count]) -> number written; stops at EAGAIN; other errors throw with `written`. */
static napi_value js_write_batch(napi_env env, napi_callback_info info) {
  napi_value argv[3], out;
  tun_dev *d = method_args(env, info, 3, argv, 1);
  if (d == NULL) return NULL;
  bool is_arr = false;
  if (napi_is_array(env, argv[1], &is_arr) != napi_ok || !is_arr) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "packets must be an array of Uint8Array");
    return NULL;
  }
  uint32_t len = 0;
  CHECK(napi_get_array_length(env, argv[1], &len));
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[2], &t));
  if (t != napi_undefined) {
    uint32_t count;
    if (!get_u32(env, argv[2], 0, len, "count", &count)) return NULL;
    len = count;
  }
  uint32_t written = 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value el;
    const uint8_t *p;
    size_t n;
    CHECK(napi_get_element(env, argv[1], i, &el));
    if (!get_bytes(env, el, &p, &n)) return NULL;
    int r = write_one(d, p, n);
    if (r == 0) break;
    if (r < 0) {
      napi_value err = make_error(env, "TUN write failed", -r, write_hint(-r)), jw;
      CHECK(napi_create_uint32(env, written, &jw));
      CHECK(napi_set_named_property(env, err, "written", jw));
      napi_throw(env, err);
      return NULL;
    }
    written++;
  }
  CHECK(napi_create_uint32(env, written, &out));
  return out;
}

/* ---------- close / stats ---------- */

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  tun_dev *d = method_args(env, info, 1, argv, 0);
  if (d == NULL) return NULL;
  close_dev(d, 0);
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj;
  tun_dev *d = method_args(env, info, 1, argv, 0);
  if (d == NULL) return NULL;
  CHECK(napi_create_object(env, &obj));
  if (set_prop_num(env, obj, "rxPackets", d->rx_packets) == NULL) return NULL;
  if (set_prop_num(env, obj, "rxBatches", d->rx_batches) == NULL) return NULL;
  if (set_prop_num(env, obj, "rxTruncated", d->rx_truncated) == NULL) return NULL;
  if (set_prop_num(env, obj, "txPackets", d->tx_packets) == NULL) return NULL;
  if (set_prop_num(env, obj, "txAgain", d->tx_again) == NULL) return NULL;
  return obj;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stop", NULL, js_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRef", NULL, js_set_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeBatch", NULL, js_write_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
