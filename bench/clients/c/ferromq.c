/* Bench client for ferromq's C face (libmqtt, pull mode: callbacks fire inside blocking
 * calls and mqtt_do_events). The subscriber fires its callbacks on a thread of its own. */
#include "common.h"
#include <pthread.h>
#include <stdatomic.h>
#include "mqtt.h"

#define NAME "c-ferromq"

static args_t A;
static atomic_long got;
static _Atomic double last_t;
static atomic_int got_in, got_out, done;
static size_t big_len;

static void check(int rc, const char *what) {
  if (rc != MQTT_OK) {
    fprintf(stderr, "%s: [%d] %s\n", what, rc, mqtt_last_error());
    exit(2);
  }
}

static mqtt_t *client(void) {
  mqtt_t *m = mqtt_new();
  char set[64];
  snprintf(set, sizeof set, "MaxInflight=%d", A.inflight); /* the 3.1.1 default is 20 */
  check(mqtt_config(m, set, NULL), "config");
  return m;
}

static void on_in_count(mqtt_t *m, const mqtt_message_event *e, void *u) {
  (void)m; (void)e; (void)u;
  atomic_fetch_add_explicit(&got, 1, memory_order_relaxed);
  last_t = now_s();
}
static void on_in_flag(mqtt_t *m, const mqtt_message_event *e, void *u) {
  (void)m; (void)u;
  big_len = e->message_b_len;
  got_in = 1;
}
static void on_out_flag(mqtt_t *m, const mqtt_message_event *e, void *u) {
  (void)m; (void)e; (void)u;
  got_out = 1;
}

typedef struct { long in, out; } tally_t;
static void on_in_tally(mqtt_t *m, const mqtt_message_event *e, void *u) {
  (void)m; (void)e;
  ((tally_t *)u)->in++;
}
static void on_out_tally(mqtt_t *m, const mqtt_message_event *e, void *u) {
  (void)m; (void)e;
  ((tally_t *)u)->out++;
}

static void *sub_loop(void *arg) {
  mqtt_t *sub = arg;
  long seen = 0;
  double since = now_s();
  while (atomic_load(&got) < A.count) {
    check(mqtt_do_events(sub), "do_events");
    long now = atomic_load(&got);
    if (now != seen) { seen = now; since = now_s(); }
    else if (now_s() - since > A.idle) break; /* QoS 0 messages were lost */
  }
  done = 1;
  return NULL;
}

static void thr(void) {
  mqtt_t *sub = client(), *pub = client();
  mqtt_on_message_in(sub, on_in_count, NULL);
  check(mqtt_connect_to(sub, A.host, A.port), "connect");
  check(mqtt_subscribe(sub, A.topic, A.qos), "subscribe");
  check(mqtt_connect_to(pub, A.host, A.port), "connect");
  pthread_t t;
  pthread_create(&t, NULL, sub_loop, sub);
  uint8_t *p = make_payload(A.size);
  double t0 = now_s();
  for (long i = 0; i < A.count; i++) check(mqtt_publish_data(pub, A.topic, A.qos, p, A.size), "publish");
  while (!done) mqtt_do_events(pub); /* take the publisher's acknowledgements */
  pthread_join(t, NULL);
  mqtt_disconnect(sub);
  mqtt_disconnect(pub);
  emit_thr(NAME, &A, atomic_load(&got), last_t - t0);
}

static void lat(void) {
  mqtt_t *m = client();
  mqtt_on_message_in(m, on_in_flag, NULL);
  mqtt_on_message_out(m, on_out_flag, NULL);
  check(mqtt_connect_to(m, A.host, A.port), "connect");
  check(mqtt_subscribe(m, A.topic, A.qos), "subscribe");
  uint8_t *p = make_payload(A.size);
  long warm = A.count / 10 < 1000 ? A.count / 10 : 1000, n = 0;
  double *us = malloc(sizeof(double) * A.count);
  for (long i = 0; i < A.count + warm; i++) {
    got_in = got_out = 0;
    double t = now_s();
    check(mqtt_publish_data(m, A.topic, A.qos, p, A.size), "publish");
    while (!got_in) mqtt_do_events(m);
    double el = now_s() - t;
    while (!got_out) mqtt_do_events(m);
    if (i >= warm) us[n++] = el * 1e6;
  }
  mqtt_disconnect(m);
  emit_lat(NAME, &A, us, n);
}

static void mem(void) {
  mqtt_t *first = client();
  check(mqtt_connect_to(first, A.host, A.port), "connect");
  usleep(200000);
  long before = rss_bytes();
  mqtt_t **all = malloc(sizeof(mqtt_t *) * A.conns);
  for (long i = 0; i < A.conns; i++) {
    all[i] = mqtt_new();
    check(mqtt_connect_to(all[i], A.host, A.port), "connect");
  }
  sleep(1);
  long after = rss_bytes();
  emit_mem(NAME, A.conns, before, after);
  fflush(stdout);
  _exit(0);
}

static void cps(void) {
  mqtt_t *m = mqtt_new();
  double t = now_s();
  for (long i = 0; i < A.count; i++) {
    check(mqtt_connect_to(m, A.host, A.port), "connect");
    check(mqtt_disconnect(m), "disconnect");
  }
  emit_cps(NAME, A.count, now_s() - t);
}

static void big(void) {
  mqtt_t *m = client();
  mqtt_on_message_in(m, on_in_flag, NULL);
  check(mqtt_connect_to(m, A.host, A.port), "connect");
  check(mqtt_subscribe(m, A.topic, 0), "subscribe");
  uint8_t *p = make_payload(A.size);
  double *ms = malloc(sizeof(double) * A.count);
  for (long i = 0; i < A.count; i++) {
    got_in = 0;
    double t = now_s();
    check(mqtt_publish_data(m, A.topic, 0, p, A.size), "publish");
    while (!got_in) {
      mqtt_do_events(m);
      if (now_s() - t > 30) die("the big message did not come back within 30 s");
    }
    if (big_len != A.size) die("the big message came back with the wrong size");
    ms[i] = (now_s() - t) * 1e3;
  }
  mqtt_disconnect(m);
  emit_big(NAME, A.size, ms, A.count);
}

/* Each of A.conns clients in turn subscribes to its own topic and publishes A.count messages
 * to it as fast as publishing accepts them, then fires its events until every one is
 * received and acknowledged (MessageOut); the clients stay connected. RSS is read after they
 * have all been idle a second, and again after they are disconnected and freed. */
static void burst(void) {
  mqtt_t *first = client();
  check(mqtt_connect_to(first, A.host, A.port), "connect");
  usleep(200000);
  long before = rss_bytes();
  mqtt_t **all = malloc(sizeof(mqtt_t *) * A.conns);
  tally_t *tally = calloc(A.conns, sizeof(tally_t));
  uint8_t *p = make_payload(A.size);
  for (long i = 0; i < A.conns; i++) {
    mqtt_t *m = all[i] = client();
    mqtt_on_message_in(m, on_in_tally, &tally[i]);
    mqtt_on_message_out(m, on_out_tally, &tally[i]);
    check(mqtt_connect_to(m, A.host, A.port), "connect");
    char topic[160];
    snprintf(topic, sizeof topic, "%s/%ld", A.topic, i);
    check(mqtt_subscribe(m, topic, A.qos), "subscribe");
    for (long k = 0; k < A.count; k++) check(mqtt_publish_data(m, topic, A.qos, p, A.size), "publish");
    double deadline = now_s() + 120;
    while (tally[i].in < A.count || tally[i].out < A.count) {
      check(mqtt_do_events(m), "do_events");
      if (now_s() > deadline) die("the burst did not come back within 120 s");
    }
  }
  sleep(1);
  long after = rss_bytes();
  for (long i = 0; i < A.conns; i++) {
    mqtt_disconnect(all[i]);
    mqtt_free(all[i]);
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
  if (!strcmp(A.scenario, "thr")) thr();
  else if (!strcmp(A.scenario, "lat")) lat();
  else if (!strcmp(A.scenario, "mem")) mem();
  else if (!strcmp(A.scenario, "cps")) cps();
  else if (!strcmp(A.scenario, "big")) big();
  else if (!strcmp(A.scenario, "burst")) burst();
  else die("unknown scenario");
  return 0;
}
