/* Bench client for libmosquitto (the peer of ferromq's C face). Defaults changed, the same
 * for every client of the bench: protocol 3.1.1 (libmosquitto's default is 3.1), in-flight
 * window MOSQ_OPT_SEND_MAXIMUM 100 (default 20), MOSQ_OPT_TCP_NODELAY 1 (default 0).
 * Throughput and the burst use mosquitto_loop_start (one network thread per client); latency, the big
 * message and connections/s drive mosquitto_loop on the calling thread (its fastest way);
 * the idle connections are polled by hand, since mosquitto_loop uses select(). */
#include "common.h"
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#define NAME "c-mosquitto"

static args_t A;
static atomic_long got;
static _Atomic double last_t;
static atomic_int got_in, got_out, connected, subscribed;
static size_t big_len;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void check(int rc, const char *what) {
  if (rc != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "%s: %s\n", what, mosquitto_strerror(rc));
    exit(2);
  }
}

static void on_connect(struct mosquitto *m, void *u, int rc) {
  (void)m; (void)u;
  if (rc) die("CONNACK refused");
  connected++;
}
static void on_disconnect(struct mosquitto *m, void *u, int rc) {
  (void)m; (void)u; (void)rc;
  connected = 0;
}
static void on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *q) {
  (void)m; (void)u; (void)mid; (void)n; (void)q;
  subscribed = 1;
}
static void on_msg_count(struct mosquitto *m, void *u, const struct mosquitto_message *msg) {
  (void)m; (void)u; (void)msg;
  long n = atomic_fetch_add_explicit(&got, 1, memory_order_relaxed) + 1;
  last_t = now_s();
  if (n >= A.count) {
    pthread_mutex_lock(&mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  }
}
static void on_msg_flag(struct mosquitto *m, void *u, const struct mosquitto_message *msg) {
  (void)m; (void)u;
  big_len = (size_t)msg->payloadlen;
  got_in = 1;
}
static void on_publish(struct mosquitto *m, void *u, int mid) {
  (void)m; (void)u; (void)mid;
  got_out = 1;
}

/* One client's burst, counted on its network thread; the last count wakes the main thread. */
typedef struct { atomic_long in, out; } tally_t;
static void tally_done(tally_t *t) {
  if (t->in >= A.count && t->out >= A.count) {
    pthread_mutex_lock(&mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  }
}
static void on_msg_tally(struct mosquitto *m, void *u, const struct mosquitto_message *msg) {
  (void)m; (void)msg;
  ((tally_t *)u)->in++;
  tally_done(u);
}
static void on_pub_tally(struct mosquitto *m, void *u, int mid) {
  (void)m; (void)mid;
  ((tally_t *)u)->out++;
  tally_done(u);
}

static struct mosquitto *client(const char *tag, long i) {
  char id[64];
  snprintf(id, sizeof id, "mq-%d-%s-%ld", (int)getpid(), tag, i);
  struct mosquitto *m = mosquitto_new(id, true, NULL);
  if (!m) die("mosquitto_new failed");
  check(mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311), "protocol");
  check(mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, A.inflight), "send maximum");
  check(mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1), "nodelay");
  mosquitto_connect_callback_set(m, on_connect);
  mosquitto_disconnect_callback_set(m, on_disconnect);
  mosquitto_subscribe_callback_set(m, on_subscribe);
  return m;
}

/* Connect and wait for CONNACK on this thread (poll(), so any descriptor number works). */
static void connect_sync(struct mosquitto *m, int keepalive) {
  int before = connected;
  check(mosquitto_connect(m, A.host, A.port, keepalive), "connect");
  while (connected == before) {
    struct pollfd p = {.fd = mosquitto_socket(m), .events = POLLIN};
    if (mosquitto_want_write(m)) p.events |= POLLOUT;
    if (poll(&p, 1, 5000) <= 0) die("no CONNACK within 5 s");
    if (p.revents & POLLOUT) check(mosquitto_loop_write(m, 1), "write");
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) check(mosquitto_loop_read(m, 1), "read");
  }
}

static void loop_until(struct mosquitto *m, atomic_int *flag, double limit) {
  double t = now_s();
  while (!*flag) {
    int rc = mosquitto_loop(m, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) check(rc, "loop");
    if (now_s() - t > limit) die("timed out waiting");
  }
}

static void thr(void) {
  struct mosquitto *sub = client("sub", 0), *pub = client("pub", 0);
  mosquitto_message_callback_set(sub, on_msg_count);
  connect_sync(sub, 60);
  check(mosquitto_subscribe(sub, NULL, A.topic, A.qos), "subscribe");
  loop_until(sub, &subscribed, 5);
  connect_sync(pub, 60);
  check(mosquitto_loop_start(sub), "loop_start");
  check(mosquitto_loop_start(pub), "loop_start");
  uint8_t *p = make_payload(A.size);
  double t0 = now_s();
  for (long i = 0; i < A.count; i++)
    check(mosquitto_publish(pub, NULL, A.topic, (int)A.size, p, A.qos, false), "publish");
  /* Wait for the last message, or for arrivals to stop (QoS 0 messages lost). */
  long seen = -1;
  pthread_mutex_lock(&mu);
  while (atomic_load(&got) < A.count) {
    long now = atomic_load(&got);
    if (now == seen) break;
    seen = now;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += A.idle;
    pthread_cond_timedwait(&cv, &mu, &ts);
  }
  pthread_mutex_unlock(&mu);
  emit_thr(NAME, &A, atomic_load(&got), last_t - t0);
  fflush(stdout);
  _exit(0);
}

static void lat(void) {
  struct mosquitto *m = client("lat", 0);
  mosquitto_message_callback_set(m, on_msg_flag);
  mosquitto_publish_callback_set(m, on_publish);
  connect_sync(m, 60);
  check(mosquitto_subscribe(m, NULL, A.topic, A.qos), "subscribe");
  loop_until(m, &subscribed, 5);
  uint8_t *p = make_payload(A.size);
  long warm = A.count / 10 < 1000 ? A.count / 10 : 1000, n = 0;
  double *us = malloc(sizeof(double) * A.count);
  for (long i = 0; i < A.count + warm; i++) {
    got_in = got_out = 0;
    double t = now_s();
    check(mosquitto_publish(m, NULL, A.topic, (int)A.size, p, A.qos, false), "publish");
    loop_until(m, &got_in, 10);
    double el = now_s() - t;
    loop_until(m, &got_out, 10);
    if (i >= warm) us[n++] = el * 1e6;
  }
  mosquitto_disconnect(m);
  emit_lat(NAME, &A, us, n);
}

static void mem(void) {
  struct mosquitto *first = client("mem", 0);
  connect_sync(first, 600);
  usleep(200000);
  long before = rss_bytes();
  struct mosquitto **all = malloc(sizeof(void *) * A.conns);
  for (long i = 0; i < A.conns; i++) {
    all[i] = client("mem", i + 1);
    connect_sync(all[i], 600);
  }
  sleep(1);
  long after = rss_bytes();
  emit_mem(NAME, A.conns, before, after);
  fflush(stdout);
  _exit(0);
}

static void cps(void) {
  struct mosquitto *m = client("cps", 0);
  double t = now_s();
  for (long i = 0; i < A.count; i++) {
    connect_sync(m, 60);
    check(mosquitto_disconnect(m), "disconnect");
    while (connected) {
      int rc = mosquitto_loop(m, 100, 1);
      if (rc == MOSQ_ERR_NO_CONN) break;
    }
  }
  emit_cps(NAME, A.count, now_s() - t);
}

static void big(void) {
  struct mosquitto *m = client("big", 0);
  mosquitto_message_callback_set(m, on_msg_flag);
  connect_sync(m, 60);
  check(mosquitto_subscribe(m, NULL, A.topic, 0), "subscribe");
  loop_until(m, &subscribed, 5);
  uint8_t *p = make_payload(A.size);
  double *ms = malloc(sizeof(double) * A.count);
  for (long i = 0; i < A.count; i++) {
    got_in = 0;
    double t = now_s();
    check(mosquitto_publish(m, NULL, A.topic, (int)A.size, p, 0, false), "publish");
    loop_until(m, &got_in, 30);
    if (big_len != A.size) die("the big message came back with the wrong size");
    ms[i] = (now_s() - t) * 1e3;
  }
  mosquitto_disconnect(m);
  emit_big(NAME, A.size, ms, A.count);
}

/* Each of A.conns clients in turn subscribes to its own topic, starts its network thread and
 * publishes A.count messages to it (mosquitto_publish queues past the in-flight window), until
 * every one is received and completed (on_publish: PUBACK, PUBCOMP, or written at QoS 0); the
 * threads keep running, so the clients stay connected. RSS is read after a second idle, and
 * again after each client is disconnected, its thread stopped and the client destroyed. */
static void burst(void) {
  struct mosquitto *first = client("burst", 0);
  connect_sync(first, 60);
  usleep(200000);
  long before = rss_bytes();
  struct mosquitto **all = malloc(sizeof(void *) * A.conns);
  tally_t *tally = calloc(A.conns, sizeof(tally_t));
  uint8_t *p = make_payload(A.size);
  for (long i = 0; i < A.conns; i++) {
    struct mosquitto *m = all[i] = client("burst", i + 1);
    mosquitto_user_data_set(m, &tally[i]);
    mosquitto_message_callback_set(m, on_msg_tally);
    mosquitto_publish_callback_set(m, on_pub_tally);
    connect_sync(m, 60);
    char topic[160];
    snprintf(topic, sizeof topic, "%s/%ld", A.topic, i);
    subscribed = 0;
    check(mosquitto_subscribe(m, NULL, topic, A.qos), "subscribe");
    loop_until(m, &subscribed, 5);
    check(mosquitto_loop_start(m), "loop_start");
    for (long k = 0; k < A.count; k++)
      check(mosquitto_publish(m, NULL, topic, (int)A.size, p, A.qos, false), "publish");
    double deadline = now_s() + 120;
    pthread_mutex_lock(&mu);
    while (tally[i].in < A.count || tally[i].out < A.count) {
      if (now_s() > deadline) die("the burst did not come back within 120 s");
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += 1;
      pthread_cond_timedwait(&cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
  }
  sleep(1);
  long after = rss_bytes();
  for (long i = 0; i < A.conns; i++) {
    mosquitto_disconnect(all[i]);
    check(mosquitto_loop_stop(all[i], false), "loop_stop");
    mosquitto_destroy(all[i]);
  }
  free(all);
  free(tally);
  free(p);
  sleep(1);
  emit_burst(NAME, &A, before, after, rss_bytes());
  fflush(stdout);
  _exit(0);
}

int main(int argc, char **argv) {
  A = parse_args(argc, argv);
  mosquitto_lib_init();
  if (!strcmp(A.scenario, "thr")) thr();
  else if (!strcmp(A.scenario, "lat")) lat();
  else if (!strcmp(A.scenario, "mem")) mem();
  else if (!strcmp(A.scenario, "cps")) cps();
  else if (!strcmp(A.scenario, "big")) big();
  else if (!strcmp(A.scenario, "burst")) burst();
  else die("unknown scenario");
  return 0;
}
