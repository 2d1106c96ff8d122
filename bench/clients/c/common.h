/* What the C bench clients share: the command line, the clock, RSS, percentiles, output. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  const char *scenario, *host, *topic;
  int port, qos, inflight, idle;
  size_t size;
  long count, conns;
} args_t;

static void die(const char *what) {
  fprintf(stderr, "%s\n", what);
  exit(2);
}

static args_t parse_args(int argc, char **argv) {
  static char topic[128];
  args_t a = {0};
  if (argc < 2) die("usage: PROG thr|lat|mem|cps|big|burst [--key value]...");
  snprintf(topic, sizeof topic, "bench/%d", (int)getpid());
  a.scenario = argv[1];
  a.host = "127.0.0.1"; a.topic = topic; a.port = 1883; a.qos = 0; a.inflight = 100;
  a.idle = 3; a.size = 16; a.count = 1000; a.conns = 100;
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *k = argv[i] + 2, *v = argv[i + 1];
    if (!strcmp(k, "host")) a.host = v;
    else if (!strcmp(k, "port")) a.port = atoi(v);
    else if (!strcmp(k, "qos")) a.qos = atoi(v);
    else if (!strcmp(k, "size")) a.size = (size_t)atol(v);
    else if (!strcmp(k, "count")) a.count = atol(v);
    else if (!strcmp(k, "inflight")) a.inflight = atoi(v);
    else if (!strcmp(k, "conns")) a.conns = atol(v);
    else if (!strcmp(k, "topic")) a.topic = v;
    else if (!strcmp(k, "idle")) a.idle = atoi(v);
  }
  return a;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static long rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
  if (f) fclose(f);
  return kb * 1024;
}

static uint8_t *make_payload(size_t n) {
  uint8_t *p = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)('a' + i % 26);
  return p;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *sorted, long n, double p) {
  long rank = (long)((p / 100.0) * n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

static void emit_thr(const char *client, args_t *a, long got, double secs) {
  printf("{\"client\":\"%s\",\"scenario\":\"thr\",\"qos\":%d,\"size\":%zu,\"sent\":%ld,"
         "\"received\":%ld,\"secs\":%.3f,\"msgs_per_s\":%.3f,\"mib_per_s\":%.3f}\n",
         client, a->qos, a->size, a->count, got, secs, got / secs,
         got * (double)a->size / secs / 1048576.0);
}

static void emit_lat(const char *client, args_t *a, double *us, long n) {
  qsort(us, n, sizeof *us, cmp_d);
  printf("{\"client\":\"%s\",\"scenario\":\"lat\",\"qos\":%d,\"size\":%zu,\"n\":%ld,"
         "\"p50_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f}\n",
         client, a->qos, a->size, n, pct(us, n, 50), pct(us, n, 99), pct(us, n, 99.9));
}

static void emit_mem(const char *client, long conns, long before, long after) {
  printf("{\"client\":\"%s\",\"scenario\":\"mem\",\"conns\":%ld,\"rss_before\":%ld,"
         "\"rss_after\":%ld,\"bytes_per_conn\":%.3f}\n",
         client, conns, before, after, (double)(after - before) / conns);
}

static void emit_cps(const char *client, long n, double secs) {
  printf("{\"client\":\"%s\",\"scenario\":\"cps\",\"n\":%ld,\"secs\":%.3f,\"conns_per_s\":%.3f}\n",
         client, n, secs, n / secs);
}

static void emit_big(const char *client, size_t size, double *ms, long n) {
  qsort(ms, n, sizeof *ms, cmp_d);
  printf("{\"client\":\"%s\",\"scenario\":\"big\",\"size\":%zu,\"n\":%ld,\"median_ms\":%.3f,"
         "\"min_ms\":%.3f}\n", client, size, n, pct(ms, n, 50), ms[0]);
}

/* Memory after a burst: RSS growth per client once every client has sent and received its
 * burst and gone idle (after), and once they are all disconnected and freed (closed). */
static void emit_burst(const char *client, args_t *a, long before, long after, long closed) {
  double per_after = after > before ? (double)(after - before) / a->conns : 0;
  double per_closed = closed > before ? (double)(closed - before) / a->conns : 0;
  printf("{\"client\":\"%s\",\"scenario\":\"burst\",\"qos\":%d,\"conns\":%ld,\"count\":%ld,"
         "\"rss_before\":%ld,\"rss_after\":%ld,\"rss_closed\":%ld,\"bytes_per_conn\":%.3f,"
         "\"bytes_per_conn_closed\":%.3f}\n",
         client, a->qos, a->conns, a->count, before, after, closed, per_after, per_closed);
}
#endif
