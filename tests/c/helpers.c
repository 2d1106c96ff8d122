/* Helpers for tests that talk to the broker: clients, unique topics, event recording. */
#define _GNU_SOURCE
#include "runner.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *broker_host(void) {
    const char *h = getenv("FERROMQ_TEST_HOST");
    return h && *h ? h : "127.0.0.1";
}

int broker_port(const char *var) {
    const char *p = getenv(var);
    CHECK_MSG(p && *p, "%s is not set: run under tests/harness/with-brokers", var);
    return atoi(p);
}

const char *unique_topic(const char *label) {
    static unsigned counter;
    static bool seeded;
    if (!seeded) { srand((unsigned)time(NULL) ^ (unsigned)getpid()); seeded = true; }
    char buf[256];
    snprintf(buf, sizeof buf, "ferromq/ctest/%s/%d-%u-%06x", label, (int)getpid(), ++counter,
             (unsigned)rand() & 0xffffff);
    return t_strdup(buf);
}

static void free_client(void *m) { mqtt_free(m); }

mqtt_t *new_client(void) {
    mqtt_t *m = mqtt_new();
    CHECK_MSG(m != NULL, "mqtt_new returned NULL: %s", mqtt_last_error());
    t_defer(free_client, m);
    CHECK_OK(mqtt_set_timeout(m, 15));
    return m;
}

mqtt_t *connected_client(rec *r, int version) {
    mqtt_t *m = new_client();
    if (r) rec_attach(m, r);
    CHECK_OK(mqtt_set_version(m, version));
    CHECK_OK(mqtt_connect_to(m, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    return m;
}

bool wait_count(mqtt_t *m, const int *counter, int want, double secs) {
    double end = now_s() + secs;
    while (*counter < want && now_s() < end) mqtt_do_events(m);
    return *counter >= want;
}

void pump(mqtt_t *m, double secs) {
    double end = now_s() + secs;
    while (now_s() < end) mqtt_do_events(m);
}

/* ---- reading properties and settings ---- */

char *get_str(int (*getter)(const mqtt_t *, char **), const mqtt_t *m) {
    char *v = NULL;
    CHECK_OK(getter(m, &v));
    CHECK(v != NULL);
    char *copy = t_strdup(v);
    mqtt_string_free(v);
    return copy;
}

int get_int(int (*getter)(const mqtt_t *, int *), const mqtt_t *m) {
    int v = -12345;
    CHECK_OK(getter(m, &v));
    return v;
}

bool get_bool(int (*getter)(const mqtt_t *, bool *), const mqtt_t *m) {
    bool v = false;
    CHECK_OK(getter(m, &v));
    return v;
}

char *config_get(mqtt_t *m, const char *name) {
    char *v = NULL;
    int rc = mqtt_config(m, name, &v);
    CHECK_MSG(rc == MQTT_OK, "reading config %s gave %d: %s", name, rc, mqtt_last_error());
    CHECK(v != NULL);
    char *copy = t_strdup(v);
    mqtt_string_free(v);
    return copy;
}

/* ---- sockets of our own ---- */

static void close_fd(void *p) { close((int)(intptr_t)p); }

static int bound_socket(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        CHECK_MSG(false, "binding 127.0.0.1:0 failed: errno %d", errno);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int silent_listener(int *port) {
    int fd = bound_socket(port);
    t_defer(close_fd, (void *)(intptr_t)fd);
    CHECK(listen(fd, 16) == 0);
    CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
    return fd;
}

bool listener_got_connection(int fd) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) return false;
    close(c);
    return true;
}

int free_port(void) {
    int port = 0;
    close(bound_socket(&port));
    return port;
}

static bool link_in(const char *path, int local_port, int remote_port) {
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[512];
    bool found = false;
    if (!fgets(line, sizeof line, f)) { fclose(f); return false; } /* the header */
    while (!found && fgets(line, sizeof line, f)) {
        char la[64], ra[64];
        unsigned lp, rp, st;
        if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f]:%x %x", la, &lp, ra, &rp, &st) == 5)
            found = (int)lp == local_port && (int)rp == remote_port && st == 1; /* ESTABLISHED */
    }
    fclose(f);
    return found;
}

bool tcp_link_exists(int local_port, int remote_port) {
    return link_in("/proc/net/tcp", local_port, remote_port) ||
           link_in("/proc/net/tcp6", local_port, remote_port);
}

/* ---- recording ---- */

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static void free_msg(rec_msg *x) {
    free(x->topic);
    free(x->data);
    free(x->text);
}

static void free_rec(void *p) {
    rec *r = p;
    for (int i = 0; i < r->in && i < REC_MAX; i++) free_msg(&r->msg_in[i]);
    for (int i = 0; i < r->out && i < REC_MAX; i++) free_msg(&r->msg_out[i]);
    for (int i = 0; i < r->subscribed && i < REC_MAX; i++) free(r->subs[i].topic_filter);
    free(r->connected_desc);
    free(r->disconnected_desc);
    free(r->unsub_filters);
    free(r->log_type);
    free(r);
}

rec *new_rec(void) {
    rec *r = calloc(1, sizeof *r);
    CHECK(r != NULL);
    t_defer(free_rec, r);
    return r;
}

static void copy_msg(rec_msg *x, const mqtt_message_event *e) {
    x->packet_id = e->packet_id;
    x->qos = e->qos;
    x->retained = e->retained;
    x->duplicate = e->duplicate;
    x->topic = dup_or_empty(e->topic);
    x->len = e->message_b_len;
    x->data = malloc(e->message_b_len ? e->message_b_len : 1);
    if (x->data && e->message_b_len) memcpy(x->data, e->message_b, e->message_b_len);
    x->text_len = e->message_len;
    x->text = malloc(e->message_len + 1);
    if (x->text) memcpy(x->text, e->message, e->message_len + 1);
}

static void on_connected(mqtt_t *m, const mqtt_connected_event *e, void *ud) {
    rec *r = ud;
    CB_EXPECT(m == r->client);
    CB_EXPECT(e->description != NULL);
    r->connected++;
    r->connected_status = e->status_code;
    free(r->connected_desc);
    r->connected_desc = dup_or_empty(e->description);
}
static void on_connection_status(mqtt_t *m, const mqtt_connection_status_event *e, void *ud) {
    (void)m;
    CB_EXPECT(e->connection_event != NULL && e->description != NULL);
    ((rec *)ud)->conn_status++;
}
static void on_disconnected(mqtt_t *m, const mqtt_disconnected_event *e, void *ud) {
    rec *r = ud;
    (void)m;
    CB_EXPECT(e->description != NULL);
    r->disconnected++;
    r->disconnected_status = e->status_code;
    free(r->disconnected_desc);
    r->disconnected_desc = dup_or_empty(e->description);
}
static void on_error(mqtt_t *m, const mqtt_error_event *e, void *ud) {
    (void)m;
    CB_EXPECT(e->description != NULL);
    ((rec *)ud)->errors++;
    ((rec *)ud)->error_code = e->error_code;
}
static void on_log(mqtt_t *m, const mqtt_log_event *e, void *ud) {
    rec *r = ud;
    (void)m;
    CB_EXPECT(e->message != NULL && e->log_type != NULL);
    r->logs++;
    r->log_level = e->log_level;
    free(r->log_type);
    r->log_type = dup_or_empty(e->log_type);
}
static void on_ack(mqtt_t *m, const mqtt_message_ack_event *e, void *ud) {
    rec *r = ud;
    (void)m;
    if (r->acks < REC_MAX) {
        r->ack[r->acks].packet_id = e->packet_id;
        r->ack[r->acks].direction = e->direction;
        r->ack[r->acks].index = e->index;
        r->ack[r->acks].response_code = e->response_code;
    }
    r->acks++;
}
static void on_in(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    rec *r = ud;
    (void)m;
    CB_EXPECT(e->topic != NULL && e->message != NULL && e->message_b != NULL);
    CB_EXPECT(e->message[e->message_len] == 0);
    if (r->in < REC_MAX) copy_msg(&r->msg_in[r->in], e);
    r->in++;
}
static void on_out(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    rec *r = ud;
    (void)m;
    CB_EXPECT(e->topic != NULL && e->message_b != NULL);
    if (r->out < REC_MAX) copy_msg(&r->msg_out[r->out], e);
    r->out++;
}
static void on_ready(mqtt_t *m, void *ud) {
    (void)m;
    ((rec *)ud)->ready++;
}
static void on_subscribed(mqtt_t *m, const mqtt_subscribed_event *e, void *ud) {
    rec *r = ud;
    (void)m;
    if (r->subscribed < REC_MAX) {
        r->subs[r->subscribed].topic_filter = dup_or_empty(e->topic_filter);
        r->subs[r->subscribed].qos = e->qos;
        r->subs[r->subscribed].response_code = e->response_code;
    }
    r->subscribed++;
}
static void on_unsubscribed(mqtt_t *m, const mqtt_unsubscribed_event *e, void *ud) {
    rec *r = ud;
    (void)m;
    r->unsubscribed++;
    r->unsub_code = e->response_code;
    free(r->unsub_filters);
    r->unsub_filters = dup_or_empty(e->topic_filters);
}

void rec_attach(mqtt_t *m, rec *r) {
    r->client = m;
    CHECK_OK(mqtt_on_connected(m, on_connected, r));
    CHECK_OK(mqtt_on_connection_status(m, on_connection_status, r));
    CHECK_OK(mqtt_on_disconnected(m, on_disconnected, r));
    CHECK_OK(mqtt_on_error(m, on_error, r));
    CHECK_OK(mqtt_on_log(m, on_log, r));
    CHECK_OK(mqtt_on_message_ack(m, on_ack, r));
    CHECK_OK(mqtt_on_message_in(m, on_in, r));
    CHECK_OK(mqtt_on_message_out(m, on_out, r));
    CHECK_OK(mqtt_on_ready_to_send(m, on_ready, r));
    CHECK_OK(mqtt_on_subscribed(m, on_subscribed, r));
    CHECK_OK(mqtt_on_unsubscribed(m, on_unsubscribed, r));
}
