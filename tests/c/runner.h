/*
 * A very small test runner for the C face: TEST(name) registers a test, CHECK* stop the
 * current test on failure, and helpers create clients and record events. Everything a test
 * creates through new_client()/new_rec()/t_defer() is released after it, pass or fail.
 *
 * CHECK* jump out of the test with longjmp, so they must never be used inside a callback
 * (that would jump across the library's frames): callbacks record what they saw and the
 * test checks it afterwards (or uses CB_EXPECT, which only records a failure).
 */
#ifndef FERROMQ_C_TEST_RUNNER_H
#define FERROMQ_C_TEST_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mqtt.h"

typedef void (*test_fn)(void);
void register_test(const char *name, test_fn fn);

#define TEST(name)                                                                  \
    static void name(void);                                                         \
    __attribute__((constructor)) static void register_##name(void) {               \
        register_test(#name, name);                                                 \
    }                                                                               \
    static void name(void)

/* Stop the current test as failed (printf-style message). */
void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* Record a failure without leaving (for callbacks). */
void t_note_failure(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                \
    } while (0)
#define CHECK_MSG(cond, ...)                                                        \
    do {                                                                            \
        if (!(cond)) t_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
    } while (0)
/* A call's return code must be `want`; on mismatch show the code and last error. */
#define CHECK_CODE(call, want)                                                      \
    do {                                                                            \
        int got_ = (call);                                                          \
        if (got_ != (want))                                                         \
            t_fail(__FILE__, __LINE__, "%s returned %d (want %d): %s", #call, got_,  \
                   (int)(want), got_ ? mqtt_last_error() : "");                     \
    } while (0)
#define CHECK_OK(call) CHECK_CODE(call, MQTT_OK)
#define CHECK_INT(a, b)                                                             \
    do {                                                                            \
        long long a_ = (long long)(a), b_ = (long long)(b);                         \
        if (a_ != b_) t_fail(__FILE__, __LINE__, "%s == %lld, want %lld", #a, a_, b_); \
    } while (0)
#define CHECK_STR(a, b)                                                             \
    do {                                                                            \
        const char *a_ = (a), *b_ = (b);                                            \
        if (!a_ || strcmp(a_, b_) != 0)                                             \
            t_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #a,              \
                   a_ ? a_ : "(null)", b_);                                         \
    } while (0)
/* The last error message on this thread must contain `part`. */
#define CHECK_ERR_HAS(part)                                                         \
    do {                                                                            \
        if (!strstr(mqtt_last_error(), (part)))                                     \
            t_fail(__FILE__, __LINE__, "last error \"%s\" lacks \"%s\"",            \
                   mqtt_last_error(), (part));                                      \
    } while (0)
#define CB_EXPECT(cond)                                                             \
    do {                                                                            \
        if (!(cond)) t_note_failure(__FILE__, __LINE__, "in callback: %s", #cond);  \
    } while (0)

/* Run `fn(arg)` when the current test ends (last registered runs first). */
void t_defer(void (*fn)(void *), void *arg);
/* Drop a pending deferred call for `arg` (e.g. a client the test freed itself). */
void t_forget(void *arg);
void *t_malloc(size_t n);  /* freed when the test ends */
char *t_strdup(const char *s);
double now_s(void);

/* ---- broker helpers ---- */
const char *broker_host(void);
int broker_port(const char *var); /* e.g. "FERROMQ_TEST_PORT"; fails the test if unset */
/* A topic prefix unique to this test run and call: "ferromq/ctest/<pid>-<n>-<rand>". */
const char *unique_topic(const char *label);

/* What a client's callbacks saw (registered by rec_attach). */
#define REC_MAX 64
typedef struct {
    int packet_id, qos;
    bool retained, duplicate;
    char *topic;
    unsigned char *data; size_t len;
    char *text; size_t text_len;
} rec_msg;
typedef struct {
    int packet_id, direction, index, response_code;
} rec_ack;
typedef struct {
    char *topic_filter;
    int qos, response_code;
} rec_sub;
typedef struct rec {
    mqtt_t *client;
    int connected, connected_status;
    char *connected_desc;
    int disconnected, disconnected_status;
    char *disconnected_desc;
    int conn_status;
    int errors, error_code;
    int logs, log_level;
    char *log_type;
    int ready;
    int subscribed;
    rec_sub subs[REC_MAX];
    int unsubscribed, unsub_code;
    char *unsub_filters;
    int in, out, acks;
    rec_msg msg_in[REC_MAX], msg_out[REC_MAX];
    rec_ack ack[REC_MAX];
} rec;

rec *new_rec(void);
/* Register every event of `m` to record into `r`. */
void rec_attach(mqtt_t *m, rec *r);
/* A new client freed when the test ends; Timeout 15 s so a broken test cannot hang long. */
mqtt_t *new_client(void);
/* new_client + rec_attach + Version + connect to FERROMQ_TEST_PORT. */
mqtt_t *connected_client(rec *r, int version);
/* Call mqtt_do_events until *counter >= want or `secs` pass; returns whether it got there. */
bool wait_count(mqtt_t *m, const int *counter, int want, double secs);
/* Pump events for `secs` seconds. */
void pump(mqtt_t *m, double secs);

/* ---- reading properties and settings (a failing call fails the test) ---- */
/* The value of a string getter, copied (freed when the test ends). */
char *get_str(int (*getter)(const mqtt_t *, char **), const mqtt_t *m);
int get_int(int (*getter)(const mqtt_t *, int *), const mqtt_t *m);
bool get_bool(int (*getter)(const mqtt_t *, bool *), const mqtt_t *m);
/* mqtt_config(m, name) read, copied (freed when the test ends). */
char *config_get(mqtt_t *m, const char *name);

/* ---- sockets of our own ---- */
/* A "silent listener": a TCP server socket on 127.0.0.1 that never answers (the kernel
 * completes the handshake; nothing is ever read or written). Closed when the test ends.
 * Returns the socket; *port receives its port. */
int silent_listener(int *port);
/* Whether a connection has reached the listener's accept queue (non-blocking accept; an
 * accepted connection is closed at once). */
bool listener_got_connection(int fd);
/* A TCP port that was free a moment ago (bound to 127.0.0.1:0, then closed). */
int free_port(void);
/* Whether an established TCP connection 127.0.0.1:local_port -> :remote_port shows in
 * /proc/net/tcp (or tcp6): the kernel's view, independent of the library. */
bool tcp_link_exists(int local_port, int remote_port);

/* ---- a mosquitto of the test's own ----
 * For tests that freeze, kill or restart a broker: the shared one of
 * tests/harness/with-brokers serves other tests at the same time and must stay up.
 * broker_start() starts `mosquitto -c CONF` on a free 127.0.0.1 port (listener, anonymous,
 * `user root`, no persistence) and waits until it accepts connections; it is killed and its
 * directory removed when the test ends. */
typedef struct private_broker private_broker;
private_broker *broker_start(void);
int broker_port_of(const private_broker *b);
void broker_pause(private_broker *b);   /* SIGSTOP: connections stay open, nothing answers */
void broker_resume(private_broker *b);  /* SIGCONT */
void broker_kill(private_broker *b);    /* SIGKILL: no goodbye to the clients */
void broker_restart(private_broker *b); /* kill, then start again on the same port */
/* Remove a flat directory and the files in it. */
void remove_dir(const char *dir);
/* A path in the broker's directory (removed with it), e.g. for SessionStateFile. */
const char *broker_file(const private_broker *b, const char *name);

#endif
