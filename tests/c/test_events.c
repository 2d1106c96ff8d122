/* Callbacks against the real broker: the fields each event carries, re-entrancy, freeing
 * from a callback, Timeout 0, push mode, and properties locked while connected. */
#define _GNU_SOURCE
#include "runner.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TEST(message_in_fields) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *topic = unique_topic("fields");
    CHECK_OK(mqtt_subscribe(m, topic, 2));
    CHECK_OK(mqtt_publish_message(m, topic, 0, "plain text"));
    /* Invalid UTF-8 and an embedded NUL: text is lossy, bytes are exact. */
    const uint8_t odd[] = {'a', 0xff, 'b', 0, 'c'};
    CHECK_OK(mqtt_publish_data(m, topic, 1, odd, sizeof odd));
    CHECK_OK(mqtt_publish_message(m, topic, 2, "q2"));
    CHECK(wait_count(m, &r->in, 3, 10));

    rec_msg *a = &r->msg_in[0], *b = &r->msg_in[1], *c = &r->msg_in[2];
    CHECK_STR(a->topic, topic);
    CHECK_INT(a->packet_id, -1);
    CHECK_INT(a->qos, 0);
    CHECK(!a->retained && !a->duplicate);
    CHECK_STR(a->text, "plain text");
    CHECK_INT(a->text_len, 10);
    CHECK_INT(a->len, 10);
    CHECK(memcmp(a->data, "plain text", 10) == 0);

    CHECK_INT(b->qos, 1);
    CHECK(b->packet_id > 0);
    CHECK_INT(b->len, sizeof odd);
    CHECK(memcmp(b->data, odd, sizeof odd) == 0);
    /* 0xff becomes U+FFFD (3 bytes), the NUL stays and is counted. */
    const char lossy[] = {'a', (char)0xef, (char)0xbf, (char)0xbd, 'b', 0, 'c'};
    CHECK_INT(b->text_len, sizeof lossy);
    CHECK(memcmp(b->text, lossy, sizeof lossy) == 0);

    CHECK_INT(c->qos, 2);
    CHECK(c->packet_id > 0);
    CHECK_STR(c->text, "q2");
}

TEST(message_out_and_ack_fields) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_5);
    const char *topic = unique_topic("out");
    CHECK_OK(mqtt_publish_message(m, topic, 0, "zero"));
    CHECK_OK(mqtt_publish_message(m, topic, 1, "one"));
    char *id = NULL;
    CHECK_OK(mqtt_config(m, "OutgoingPacketId", &id));
    int pid = atoi(id);
    mqtt_string_free(id);
    CHECK(pid > 0);
    CHECK(wait_count(m, &r->out, 2, 10));
    CHECK(wait_count(m, &r->acks, 1, 10));
    CHECK_STR(r->msg_out[0].topic, topic);
    CHECK_INT(r->msg_out[0].qos, 0);
    CHECK_INT(r->msg_out[0].packet_id, -1);
    CHECK_STR(r->msg_out[0].text, "zero");
    CHECK_INT(r->msg_out[1].qos, 1);
    CHECK_INT(r->msg_out[1].packet_id, pid);
    CHECK_INT(r->ack[0].packet_id, pid);
    CHECK_INT(r->ack[0].direction, 0);
    /* MQTT 5 reason code of the PUBACK: 0, or 16 ("no matching subscribers", which
     * mosquitto reports since nobody subscribed): either way the broker's number reaches C. */
    CHECK_MSG(r->ack[0].response_code == 0 || r->ack[0].response_code == 16,
              "response_code %d", r->ack[0].response_code);
    CHECK(r->ack[0].index >= 0);
}

TEST(subscribed_and_unsubscribed_fields) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *a = unique_topic("suba");
    const char *b = unique_topic("subb");
    char both[700];
    snprintf(both, sizeof both, "%s,%s", a, b);
    CHECK_OK(mqtt_config(m, "TopicQOSArray=2,0", NULL));
    CHECK_OK(mqtt_subscribe(m, both, 1));
    CHECK_INT(r->subscribed, 2); /* the blocking call returned after both fired */
    CHECK_STR(r->subs[0].topic_filter, a);
    CHECK_INT(r->subs[0].qos, 2);
    CHECK_STR(r->subs[1].topic_filter, b);
    CHECK_INT(r->subs[1].qos, 0);
    CHECK_INT(r->subs[0].response_code, 2);
    CHECK_OK(mqtt_unsubscribe(m, both));
    CHECK_INT(r->unsubscribed, 1);
    CHECK_STR(r->unsub_filters, both);
}

TEST(connection_events_and_log_fields) {
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_config(m, "LogLevel=1", NULL));
    CHECK_OK(mqtt_connect_to(m, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    CHECK_INT(r->connected, 1);
    CHECK_INT(r->connected_status, 0);
    CHECK(r->connected_desc != NULL);
    CHECK(r->logs >= 1);
    CHECK_INT(r->log_level, 1);
    CHECK(r->log_type != NULL && strlen(r->log_type) > 0);
    /* A generated client id is visible through the property. */
    char *id = NULL;
    CHECK_OK(mqtt_get_client_id(m, &id));
    CHECK_MSG(strncmp(id, "ferromq", 7) == 0 && strlen(id) == 23, "client id \"%s\"", id);
    mqtt_string_free(id);
    CHECK_OK(mqtt_disconnect(m));
    CHECK_INT(r->disconnected, 1);
    CHECK_INT(r->disconnected_status, 0);
    CHECK_INT(r->errors, 0);
}

/* ---- re-entrancy ---- */

typedef struct {
    rec *r;
    const char *ping, *pong;
    int replies, reply_code;
} echo_state;

static void echo_on_message(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    echo_state *s = ud;
    /* Record as the recorder does, then answer from inside the callback. */
    s->r->in++;
    if (strcmp(e->topic, s->ping) == 0) {
        s->reply_code = mqtt_publish_message(m, s->pong, 1, "pong");
        s->replies++;
    }
}

TEST(reentrant_publish_from_message_in) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    echo_state s = {r, unique_topic("ping"), unique_topic("pong"), 0, -1};
    CHECK_OK(mqtt_on_message_in(m, echo_on_message, &s));
    char both[700];
    snprintf(both, sizeof both, "%s,%s", s.ping, s.pong);
    CHECK_OK(mqtt_subscribe(m, both, 1));
    CHECK_OK(mqtt_publish_message(m, s.ping, 1, "ping"));
    CHECK(wait_count(m, &r->in, 2, 10));
    CHECK_INT(s.replies, 1);
    CHECK_INT(s.reply_code, 0);
    CHECK(wait_count(m, &r->out, 2, 10));
    CHECK_STR(r->msg_out[1].topic, s.pong);
}

typedef struct {
    const char *topic;
    int code;
    int subscribed;
} sub_from_cb;

static void subscribe_on_connected(mqtt_t *m, const mqtt_connected_event *e, void *ud) {
    sub_from_cb *s = ud;
    if (e->status_code == 0) s->code = mqtt_subscribe(m, s->topic, 1); /* blocks, nested */
}
static void count_subscribed(mqtt_t *m, const mqtt_subscribed_event *e, void *ud) {
    (void)m;
    (void)e;
    ((sub_from_cb *)ud)->subscribed++;
}

TEST(reentrant_blocking_call_from_connected) {
    mqtt_t *m = new_client();
    sub_from_cb s = {unique_topic("nested"), -1, 0};
    CHECK_OK(mqtt_on_connected(m, subscribe_on_connected, &s));
    CHECK_OK(mqtt_on_subscribed(m, count_subscribed, &s));
    CHECK_OK(mqtt_connect_to(m, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    pump(m, 0.1);
    CHECK_INT(s.code, 0);
    CHECK_INT(s.subscribed, 1);
}

/* ---- freeing ---- */

TEST(free_while_connected) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    CHECK_OK(mqtt_subscribe(m, unique_topic("free"), 1));
    CHECK_OK(mqtt_publish_message(m, unique_topic("free2"), 1, "in flight"));
    t_forget(m);
    mqtt_free(m); /* aborts the connection; valgrind checks nothing leaks */
}

typedef struct { int calls; } free_state;

static void free_on_message(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    (void)e;
    ((free_state *)ud)->calls++;
    mqtt_free(m);
}

TEST(free_from_inside_a_callback) {
    mqtt_t *m = connected_client(NULL, MQTT_VERSION_311);
    const char *topic = unique_topic("freecb");
    free_state s = {0};
    CHECK_OK(mqtt_subscribe(m, topic, 0));
    CHECK_OK(mqtt_on_message_in(m, free_on_message, &s));
    CHECK_OK(mqtt_set_timeout(m, 0)); /* publishes return at once, events wait */
    CHECK_OK(mqtt_publish_message(m, topic, 0, "one"));
    CHECK_OK(mqtt_publish_message(m, topic, 0, "two"));
    t_forget(m);
    /* Only do_events fires now; the first message frees the client, the second must not
     * reach the callback, and do_events must return normally. */
    double end = now_s() + 10;
    while (s.calls == 0 && now_s() < end) CHECK_OK(mqtt_do_events(m));
    CHECK_INT(s.calls, 1);
}

/* ---- delivery modes and threads ---- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int notified;
    pthread_t main_thread;
    int wrong_thread;
    int messages;
} push_state;

static void push_notify(void *ud) {
    push_state *s = ud;
    pthread_mutex_lock(&s->lock);
    s->notified++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}
static void push_on_message(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    (void)m;
    (void)e;
    push_state *s = ud;
    if (!pthread_equal(pthread_self(), s->main_thread)) s->wrong_thread++;
    s->messages++;
}

TEST(push_mode_fires_on_the_do_events_thread) {
    mqtt_t *m = connected_client(NULL, MQTT_VERSION_311);
    push_state s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, pthread_self(), 0, 0};
    const char *topic = unique_topic("push");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    CHECK_OK(mqtt_on_message_in(m, push_on_message, &s));
    CHECK_OK(mqtt_set_event_notifier(m, push_notify, &s));
    CHECK_OK(mqtt_publish_message(m, topic, 1, "pushed"));
    double end = now_s() + 10;
    while (s.messages == 0 && now_s() < end) {
        pthread_mutex_lock(&s.lock);
        while (s.notified == 0 && now_s() < end) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
            pthread_cond_timedwait(&s.cond, &s.lock, &ts);
        }
        s.notified = 0;
        pthread_mutex_unlock(&s.lock);
        CHECK_OK(mqtt_do_events(m));
    }
    CHECK_INT(s.messages, 1);
    CHECK_INT(s.wrong_thread, 0);
    CHECK_OK(mqtt_set_event_notifier(m, NULL, NULL));
    CHECK_OK(mqtt_disconnect(m));
}

static void pull_on_message(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    push_on_message(m, e, ud);
}

TEST(pull_mode_fires_on_the_calling_thread) {
    mqtt_t *m = connected_client(NULL, MQTT_VERSION_311);
    push_state s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, pthread_self(), 0, 0};
    const char *topic = unique_topic("pull");
    CHECK_OK(mqtt_on_message_in(m, pull_on_message, &s));
    CHECK_OK(mqtt_subscribe(m, topic, 0));
    CHECK_OK(mqtt_publish_message(m, topic, 0, "x"));
    CHECK(wait_count(m, &s.messages, 1, 10));
    CHECK_INT(s.wrong_thread, 0);
    /* Unregistered: no more calls. */
    CHECK_OK(mqtt_on_message_in(m, NULL, NULL));
    CHECK_OK(mqtt_publish_message(m, topic, 0, "y"));
    pump(m, 0.3);
    CHECK_INT(s.messages, 1);
}

/* Interrupt with no call in progress: the connection ends (with DISCONNECT: no Will), and
 * the next blocking call works normally. */
TEST(interrupt_while_idle_disconnects_only) {
    const char *will = unique_topic("idlewill");
    rec *wr = new_rec();
    mqtt_t *watcher = connected_client(wr, MQTT_VERSION_311);
    CHECK_OK(mqtt_subscribe(watcher, will, 1));

    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_set_will_topic(m, will));
    CHECK_OK(mqtt_set_will_message(m, "should not be sent"));
    CHECK_OK(mqtt_connect_to(m, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    CHECK_OK(mqtt_interrupt(m));
    CHECK(wait_count(m, &r->disconnected, 1, 10));
    bool up = true;
    CHECK_OK(mqtt_get_connected(m, &up));
    CHECK(!up);
    CHECK_OK(mqtt_connect(m)); /* not interrupted: the interrupt was for the earlier state */
    CHECK_OK(mqtt_get_connected(m, &up));
    CHECK(up);
    CHECK_OK(mqtt_disconnect(m));
    pump(watcher, 0.3);
    CHECK_INT(wr->in, 0);
}
