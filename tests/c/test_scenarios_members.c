/* The scenarios of tests/scenarios.tsv that came with issue 3 ("the whole documented class,
 * part 1"), each as scenario_<id>, against the real broker of tests/harness/with-brokers. */
#define _GNU_SOURCE
#include "runner.h"

#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

static int plain_port(void) { return broker_port("FERROMQ_TEST_PORT"); }

static void free_handle(void *m) { mqtt_free(m); }

/* A client exactly as mqtt_new made it (new_client changes Timeout), freed at the end. */
static mqtt_t *fresh_client(void) {
    mqtt_t *m = mqtt_new();
    CHECK_MSG(m != NULL, "mqtt_new returned NULL: %s", mqtt_last_error());
    t_defer(free_handle, m);
    return m;
}

static int incoming_count(const mqtt_t *m) { return get_int(mqtt_get_incoming_message_count, m); }
static int outgoing_count(const mqtt_t *m) { return get_int(mqtt_get_outgoing_message_count, m); }

/* ------------------------------------------------------------------------------------- */

TEST(scenario_properties_defaults) {
    mqtt_t *m = fresh_client();
    CHECK_STR(get_str(mqtt_get_client_id, m), "");
    CHECK(get_bool(mqtt_get_clean_session, m) == true);
    CHECK_INT(get_int(mqtt_get_keep_alive_interval, m), 0);
    CHECK_STR(get_str(mqtt_get_user, m), "");
    CHECK_STR(get_str(mqtt_get_password, m), "");
    CHECK_INT(get_int(mqtt_get_version, m), MQTT_VERSION_311);
    CHECK_STR(get_str(mqtt_get_remote_host, m), "");
    CHECK_INT(get_int(mqtt_get_remote_port, m), 1883);
    CHECK_STR(get_str(mqtt_get_local_host, m), "");
    CHECK_INT(get_int(mqtt_get_local_port, m), 0);
    CHECK_INT(get_int(mqtt_get_timeout, m), 60);
    CHECK(get_bool(mqtt_get_connected, m) == false);
    CHECK(get_bool(mqtt_get_ready_to_send, m) == false);
    CHECK_STR(get_str(mqtt_get_will_topic, m), "");
    CHECK_STR(get_str(mqtt_get_will_message, m), "");
    CHECK_INT(incoming_count(m), 0);
    CHECK_INT(outgoing_count(m), 0);

    /* RemotePort 0 has its own code; other values out of range name the value. */
    CHECK_CODE(mqtt_set_remote_port(m, 0), MQTT_ERR_REMOTE_PORT_ZERO);
    struct { int (*set)(mqtt_t *, int); int value; const char *shown; } bad[] = {
        {mqtt_set_remote_port, 65536, "65536"},
        {mqtt_set_remote_port, -3, "-3"},
        {mqtt_set_local_port, 70000, "70000"},
        {mqtt_set_local_port, -1, "-1"},
        {mqtt_set_keep_alive_interval, 65536, "65536"},
        {mqtt_set_keep_alive_interval, -7, "-7"},
        {mqtt_set_version, 2, "2"},
        {mqtt_set_timeout, -5, "-5"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_CODE(bad[i].set(m, bad[i].value), MQTT_ERR_INVALID_ARGUMENT);
        CHECK_ERR_HAS(bad[i].shown);
    }
    /* Nothing refused changed anything. */
    CHECK_INT(get_int(mqtt_get_remote_port, m), 1883);
    CHECK_INT(get_int(mqtt_get_local_port, m), 0);
    CHECK_INT(get_int(mqtt_get_keep_alive_interval, m), 0);
    CHECK_INT(get_int(mqtt_get_version, m), 0);
    CHECK_INT(get_int(mqtt_get_timeout, m), 60);

    /* Read-only members: in C they have a getter and no setter, so a write does not even
     * compile. Checked against the library's exported symbols. */
    const char *readable[] = {"mqtt_get_ready_to_send", "mqtt_get_incoming_message_count",
                              "mqtt_get_incoming_message", "mqtt_get_outgoing_message_count",
                              "mqtt_get_outgoing_message"};
    const char *no_setter[] = {"mqtt_set_ready_to_send", "mqtt_set_incoming_messages",
                               "mqtt_set_incoming_message", "mqtt_set_outgoing_messages",
                               "mqtt_set_outgoing_message"};
    for (size_t i = 0; i < sizeof readable / sizeof readable[0]; i++)
        CHECK_MSG(dlsym(RTLD_DEFAULT, readable[i]) != NULL, "%s is not exported", readable[i]);
    for (size_t i = 0; i < sizeof no_setter / sizeof no_setter[0]; i++)
        CHECK_MSG(dlsym(RTLD_DEFAULT, no_setter[i]) == NULL, "%s exists", no_setter[i]);
    /* Read-only config settings refuse writes, naming the setting. */
    CHECK_CODE(mqtt_config(m, "SessionPresent=True", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("SessionPresent");
    CHECK_CODE(mqtt_config(m, "OutgoingPacketId=3", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("OutgoingPacketId");
}

TEST(scenario_properties_locked_while_connected) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    char *id = get_str(mqtt_get_client_id, m);
    CHECK_CODE(mqtt_set_remote_port(m, 1234), MQTT_ERR_REMOTE_PORT_LOCKED);
    CHECK_CODE(mqtt_set_remote_host(m, "elsewhere"), MQTT_ERR_REMOTE_HOST_LOCKED);
    CHECK_CODE(mqtt_set_local_port(m, 4321), MQTT_ERR_LOCAL_PORT_LOCKED);
    CHECK_ERR_HAS("LocalPort");
    CHECK_CODE(mqtt_set_local_host(m, "127.0.0.1"), MQTT_ERR_LOCAL_HOST_LOCKED);
    CHECK_ERR_HAS("LocalHost");
    CHECK_CODE(mqtt_set_client_id(m, "other"), MQTT_ERR_BAD_STATE);
    CHECK_ERR_HAS("ClientId");
    CHECK_CODE(mqtt_set_clean_session(m, false), MQTT_ERR_BAD_STATE);
    CHECK_CODE(mqtt_set_keep_alive_interval(m, 30), MQTT_ERR_BAD_STATE);
    CHECK_CODE(mqtt_set_user(m, "u"), MQTT_ERR_BAD_STATE);
    CHECK_CODE(mqtt_set_password(m, "p"), MQTT_ERR_BAD_STATE);
    CHECK_CODE(mqtt_set_version(m, MQTT_VERSION_5), MQTT_ERR_BAD_STATE);
    CHECK_CODE(mqtt_set_will_topic(m, "w/t"), MQTT_ERR_BAD_STATE);
    CHECK_CODE(mqtt_set_will_message(m, "w"), MQTT_ERR_BAD_STATE);
    /* Refused: nothing changed. */
    CHECK_STR(get_str(mqtt_get_client_id, m), id);
    CHECK_INT(get_int(mqtt_get_remote_port, m), plain_port());
    CHECK_INT(get_int(mqtt_get_version, m), MQTT_VERSION_311);
    CHECK_OK(mqtt_set_timeout(m, 14)); /* Timeout may change at any time */
    CHECK(get_bool(mqtt_get_connected, m));

    CHECK_OK(mqtt_disconnect(m));
    CHECK_OK(mqtt_set_remote_port(m, 1234));
    CHECK_OK(mqtt_set_remote_host(m, "elsewhere"));
    CHECK_OK(mqtt_set_local_port(m, 4321));
    CHECK_OK(mqtt_set_local_host(m, "127.0.0.1"));
    CHECK_OK(mqtt_set_client_id(m, "other"));
    CHECK_OK(mqtt_set_clean_session(m, false));
    CHECK_OK(mqtt_set_keep_alive_interval(m, 30));
    CHECK_OK(mqtt_set_user(m, "u"));
    CHECK_OK(mqtt_set_password(m, "p"));
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_OK(mqtt_set_will_topic(m, "w/t"));
    CHECK_OK(mqtt_set_will_message(m, "w"));
    CHECK_INT(get_int(mqtt_get_remote_port, m), 1234);
    CHECK_INT(get_int(mqtt_get_local_port, m), 4321);
    CHECK_STR(get_str(mqtt_get_local_host, m), "127.0.0.1");
    CHECK_STR(get_str(mqtt_get_client_id, m), "other");
    CHECK_STR(get_str(mqtt_get_will_topic, m), "w/t");
}

TEST(scenario_local_host_and_port) {
    int broker = plain_port();
    /* A port chosen by us: bound for the connection, as the kernel's table confirms. */
    int port = free_port();
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_local_host(m, "127.0.0.1"));
    CHECK_OK(mqtt_set_local_port(m, port));
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", broker));
    CHECK_INT(get_int(mqtt_get_local_port, m), port);
    CHECK_STR(get_str(mqtt_get_local_host, m), "127.0.0.1");
    CHECK_MSG(tcp_link_exists(port, broker), "no connection 127.0.0.1:%d -> :%d", port, broker);
    CHECK_OK(mqtt_disconnect(m));
    CHECK_INT(get_int(mqtt_get_local_port, m), port); /* the configured value again */

    /* LocalPort 0: the system chooses, and LocalPort shows its choice while connected. */
    mqtt_t *m2 = new_client();
    CHECK_OK(mqtt_connect_to(m2, "127.0.0.1", broker));
    int chosen = get_int(mqtt_get_local_port, m2);
    CHECK_MSG(chosen > 0 && chosen <= 65535, "LocalPort %d while connected", chosen);
    CHECK_MSG(tcp_link_exists(chosen, broker), "no connection 127.0.0.1:%d -> :%d", chosen, broker);
    CHECK_STR(get_str(mqtt_get_local_host, m2), "127.0.0.1");
    CHECK_OK(mqtt_disconnect(m2));
    CHECK_INT(get_int(mqtt_get_local_port, m2), 0);
    CHECK_STR(get_str(mqtt_get_local_host, m2), "");
}

TEST(scenario_connected_property) {
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_set_remote_host(m, broker_host()));
    CHECK_OK(mqtt_set_remote_port(m, plain_port()));
    CHECK_OK(mqtt_set_connected(m, true));
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_INT(r->connected, 1);
    CHECK_INT(r->connected_status, 0);
    CHECK_OK(mqtt_set_connected(m, false));
    CHECK(!get_bool(mqtt_get_connected, m));
    CHECK(wait_count(m, &r->disconnected, 1, 5));
    CHECK_INT(r->disconnected_status, 0);
}

TEST(scenario_timeout_expires) {
    int port = 0;
    int listener = silent_listener(&port);
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_set_timeout(m, 1));
    double t0 = now_s();
    CHECK_CODE(mqtt_connect_to(m, "127.0.0.1", port), MQTT_ERR_TIMEOUT);
    double took = now_s() - t0;
    CHECK_MSG(took >= 0.9 && took < 4.0, "connect gave up after %.2f s", took);
    CHECK(listener_got_connection(listener)); /* it really reached the listener */
    CHECK(!get_bool(mqtt_get_connected, m));
    pump(m, 0.1);
    CHECK(!get_bool(mqtt_get_connected, m));
}

/* Timeout 0: a call returns without waiting for its outcome. A call may still fire events
 * that were already waiting when it ends (the engine does so), and on a fast loopback the
 * outcome itself can be among them; so each call is tried up to five times, and the
 * scenario holds if the outcome arrived after the call had returned at least once (a call
 * that waited would fire it inside every time). */
typedef struct {
    bool in_call;
    int fired_inside, fired_later;
    int connected_status;
} tzero_state;

static void tzero_on_connected(mqtt_t *m, const mqtt_connected_event *e, void *ud) {
    (void)m;
    tzero_state *s = ud;
    s->connected_status = e->status_code;
    if (s->in_call) s->fired_inside++; else s->fired_later++;
}
static void tzero_on_subscribed(mqtt_t *m, const mqtt_subscribed_event *e, void *ud) {
    (void)m;
    (void)e;
    tzero_state *s = ud;
    if (s->in_call) s->fired_inside++; else s->fired_later++;
}
static void tzero_on_disconnected(mqtt_t *m, const mqtt_disconnected_event *e, void *ud) {
    (void)m;
    (void)e;
    (void)ud;
}

TEST(scenario_timeout_zero_events) {
    mqtt_t *m = new_client();
    tzero_state c = {false, 0, 0, -1}, sub = {false, 0, 0, 0};
    CHECK_OK(mqtt_on_connected(m, tzero_on_connected, &c));
    CHECK_OK(mqtt_on_subscribed(m, tzero_on_subscribed, &sub));
    CHECK_OK(mqtt_on_disconnected(m, tzero_on_disconnected, NULL));
    CHECK_OK(mqtt_set_timeout(m, 0));
    for (int attempt = 0; attempt < 5 && c.fired_later == 0; attempt++) {
        int before = c.fired_inside + c.fired_later;
        c.in_call = true;
        double t0 = now_s();
        int rc = mqtt_connect_to(m, broker_host(), plain_port());
        double took = now_s() - t0;
        c.in_call = false;
        CHECK_OK(rc);
        CHECK_MSG(took < 0.5, "connect took %.2f s", took);
        double end = now_s() + 10;
        while (c.fired_inside + c.fired_later == before && now_s() < end) CHECK_OK(mqtt_do_events(m));
        CHECK_MSG(c.fired_inside + c.fired_later == before + 1, "Connected did not fire");
        CHECK_INT(c.connected_status, 0);
        CHECK(get_bool(mqtt_get_connected, m));
        if (c.fired_later == 0) { /* fired inside: disconnect and try again */
            CHECK_OK(mqtt_disconnect(m));
            end = now_s() + 10;
            while (get_bool(mqtt_get_connected, m) && now_s() < end) CHECK_OK(mqtt_do_events(m));
        }
    }
    CHECK_MSG(c.fired_later > 0, "Connected fired inside the call every time (%d)", c.fired_inside);

    size_t fill_len = 3u * 1024 * 1024;
    unsigned char *fill = t_malloc(fill_len);
    for (int attempt = 0; attempt < 5 && sub.fired_later == 0; attempt++) {
        const char *topic = unique_topic("tzero");
        /* 3 MiB queued first (to a topic nobody subscribed): the SUBSCRIBE waits behind it,
         * so a SUBACK cannot come back while a call that does not wait is still running. */
        CHECK_OK(mqtt_publish_data(m, unique_topic("tzerofill"), 0, fill, fill_len));
        int before = sub.fired_inside + sub.fired_later;
        sub.in_call = true;
        double t0 = now_s();
        int rc = mqtt_subscribe(m, topic, 1);
        double took = now_s() - t0;
        sub.in_call = false;
        CHECK_OK(rc);
        CHECK_MSG(took < 0.5, "subscribe took %.2f s", took);
        double end = now_s() + 10;
        while (sub.fired_inside + sub.fired_later == before && now_s() < end)
            CHECK_OK(mqtt_do_events(m));
        CHECK_MSG(sub.fired_inside + sub.fired_later == before + 1, "Subscribed did not fire");
    }
    CHECK_MSG(sub.fired_later > 0, "Subscribed fired inside the call every time (%d)",
              sub.fired_inside);
    CHECK_OK(mqtt_disconnect(m));
    double end = now_s() + 10;
    while (get_bool(mqtt_get_connected, m) && now_s() < end) CHECK_OK(mqtt_do_events(m));
    CHECK(!get_bool(mqtt_get_connected, m));
}

/* The ReadyToSend property turns true when the engine has written the backlog out, which a
 * busy machine can finish before the publishing thread reads the property; so the publish
 * is repeated (up to five times) until the property is seen false right after it. Every
 * message must still arrive exactly once, whole. */
TEST(scenario_would_block_ready_to_send) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *topic = unique_topic("wouldblock");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    pump(m, 0.05);
    CHECK(get_bool(mqtt_get_ready_to_send, m));
    CHECK_OK(mqtt_set_timeout(m, 0));

    size_t len = 8u * 1024 * 1024;
    unsigned char *big = t_malloc(len);
    for (size_t i = 0; i < len; i++) big[i] = (unsigned char)(i * 7 + i / 4096);
    int seen_false = 0, attempts = 0;
    while (attempts < 5 && seen_false == 0) {
        attempts++;
        big[0] = (unsigned char)attempts; /* tell the attempts apart */
        int ready_before = r->ready;
        CHECK_CODE(mqtt_publish_data(m, topic, 1, big, len), MQTT_ERR_WOULD_BLOCK);
        if (!get_bool(mqtt_get_ready_to_send, m)) seen_false++;
        CHECK_ERR_HAS("was accepted");
        CHECK(!strstr(mqtt_last_error(), "not accepted"));

        CHECK_MSG(wait_count(m, &r->ready, ready_before + 1, 60), "ReadyToSend never fired");
        CHECK_MSG(wait_count(m, &r->in, attempts, 60), "message %d never arrived", attempts);
        CHECK_MSG(wait_count(m, &r->out, attempts, 10), "MessageOut never fired");
        pump(m, 0.3);
        CHECK_INT(r->in, attempts);
        CHECK_INT(r->out, attempts); /* sent once: not published again */
        CHECK_INT(r->msg_in[attempts - 1].len, len);
        CHECK(memcmp(r->msg_in[attempts - 1].data, big, len) == 0);
        CHECK(get_bool(mqtt_get_ready_to_send, m));
    }
    CHECK_MSG(seen_false > 0, "ReadyToSend was never false after a would-block publish (%d tries)",
              attempts);
    CHECK_OK(mqtt_set_timeout(m, 15));
    CHECK_OK(mqtt_disconnect(m));
}

typedef struct {
    mqtt_t *m;
    int rc;
} interrupter;

static void *interrupt_later(void *arg) {
    interrupter *it = arg;
    usleep(300 * 1000);
    it->rc = mqtt_interrupt(it->m);
    return NULL;
}

TEST(scenario_interrupt_from_thread) {
    int port = 0;
    silent_listener(&port);
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_timeout(m, 30));
    interrupter it = {m, -1};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, interrupt_later, &it) == 0);
    double t0 = now_s();
    int rc = mqtt_connect_to(m, "127.0.0.1", port);
    double took = now_s() - t0;
    pthread_join(th, NULL);
    CHECK_MSG(rc == MQTT_ERR_INTERRUPTED, "connect returned %d: %s", rc, mqtt_last_error());
    CHECK_INT(mqtt_last_error_code(), 301);
    CHECK_MSG(took < 2.5, "connect returned after %.2f s", took);
    CHECK_INT(it.rc, 0);
    CHECK(!get_bool(mqtt_get_connected, m));
}

typedef struct {
    rec *r;
    int interrupts, rc;
} interrupt_cb_state;

static void interrupt_on_subscribed(mqtt_t *m, const mqtt_subscribed_event *e, void *ud) {
    (void)e;
    interrupt_cb_state *s = ud;
    s->r->subscribed++;
    s->interrupts++;
    s->rc = mqtt_interrupt(m);
}

TEST(scenario_interrupt_from_handler) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    interrupt_cb_state s = {r, 0, -1};
    CHECK_OK(mqtt_on_subscribed(m, interrupt_on_subscribed, &s));
    int rc = mqtt_subscribe(m, unique_topic("interrupt"), 1);
    /* The SUBACK completes the call and the interrupt ends it: either result is fine. */
    CHECK_MSG(rc == MQTT_OK || rc == MQTT_ERR_INTERRUPTED, "subscribe returned %d: %s", rc,
              mqtt_last_error());
    CHECK_INT(s.interrupts, 1);
    CHECK_INT(s.rc, 0);
    CHECK(wait_count(m, &r->disconnected, 1, 10));
    CHECK(!get_bool(mqtt_get_connected, m));
}

/* Every config setting's value, in registry order, copied (freed when the test ends). */
static char **all_settings(mqtt_t *m, int *n_out) {
    const mqtt_config_setting *const *list = NULL;
    int n = 0;
    CHECK_OK(mqtt_config_settings(&list, &n));
    char **values = t_malloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        char *v = NULL;
        values[i] = mqtt_config(m, list[i]->name, &v) == MQTT_OK ? t_strdup(v) : NULL;
        mqtt_string_free(v);
    }
    *n_out = n;
    return values;
}

TEST(scenario_reset_defaults) {
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    /* Change what may change before connecting, connect, then what may change after. */
    CHECK_OK(mqtt_set_client_id(m, "c-reset-defaults"));
    CHECK_OK(mqtt_set_keep_alive_interval(m, 30));
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_OK(mqtt_set_will_topic(m, unique_topic("resetwill")));
    CHECK_OK(mqtt_set_will_message(m, "bye"));
    CHECK_OK(mqtt_set_local_host(m, "127.0.0.1"));
    CHECK_OK(mqtt_set_clean_session(m, false));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK_OK(mqtt_config(m, "Retain=true", NULL));
    CHECK_OK(mqtt_config(m, "Duplicate=true", NULL));
    CHECK_OK(mqtt_config(m, "LogLevel=3", NULL));
    CHECK_OK(mqtt_config(m, "TopicDelimiter=;", NULL));
    CHECK_OK(mqtt_config(m, "WillQOS=2", NULL));
    CHECK_OK(mqtt_config(m, "TcpNoDelay=false", NULL));
    CHECK_OK(mqtt_set_timeout(m, 7));
    CHECK(get_bool(mqtt_get_connected, m));
    int disconnects = r->disconnected;

    CHECK_OK(mqtt_reset(m));
    /* The values are back at once; the connection ends in the background. */
    CHECK_STR(get_str(mqtt_get_client_id, m), "");
    CHECK_INT(get_int(mqtt_get_timeout, m), 60);
    CHECK_STR(config_get(m, "Retain"), "False");
    CHECK_MSG(wait_count(m, &r->disconnected, disconnects + 1, 10), "no Disconnected after Reset");
    CHECK(!get_bool(mqtt_get_connected, m));

    CHECK_STR(get_str(mqtt_get_client_id, m), "");
    CHECK(get_bool(mqtt_get_clean_session, m));
    CHECK_INT(get_int(mqtt_get_keep_alive_interval, m), 0);
    CHECK_STR(get_str(mqtt_get_user, m), "");
    CHECK_STR(get_str(mqtt_get_password, m), "");
    CHECK_INT(get_int(mqtt_get_version, m), MQTT_VERSION_311);
    CHECK_STR(get_str(mqtt_get_remote_host, m), "");
    CHECK_INT(get_int(mqtt_get_remote_port, m), 1883);
    CHECK_STR(get_str(mqtt_get_local_host, m), "");
    CHECK_INT(get_int(mqtt_get_local_port, m), 0);
    CHECK_INT(get_int(mqtt_get_timeout, m), 60);
    CHECK_STR(get_str(mqtt_get_will_topic, m), "");
    CHECK_STR(get_str(mqtt_get_will_message, m), "");
    CHECK(!get_bool(mqtt_get_ready_to_send, m));
    CHECK_INT(incoming_count(m), 0);
    CHECK_INT(outgoing_count(m), 0);

    /* Every config setting reads as on a new client. */
    const mqtt_config_setting *const *list = NULL;
    int n = 0;
    CHECK_OK(mqtt_config_settings(&list, &n));
    int n_fresh = 0, n_reset = 0;
    char **fresh = all_settings(fresh_client(), &n_fresh);
    char **after = all_settings(m, &n_reset);
    CHECK_INT(n_fresh, n);
    CHECK_INT(n_reset, n);
    for (int i = 0; i < n; i++) {
        if (!fresh[i] && !after[i]) continue; /* not readable on its own (e.g. indexed) */
        CHECK_MSG(fresh[i] && after[i] && strcmp(fresh[i], after[i]) == 0,
                  "%s: \"%s\" after Reset, \"%s\" on a new client", list[i]->name,
                  after[i] ? after[i] : "(error)", fresh[i] ? fresh[i] : "(error)");
    }

    /* The callbacks stayed registered. */
    int connects = r->connected;
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK_INT(r->connected, connects + 1);
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- collections in MessageAck ---- */

#define ACK_MAX 8
typedef struct {
    int direction, event_packet_id, event_index;
    int get_rc, count;
    int packet_id, qos, state;
    char topic[256];
    unsigned char bytes[64];
    size_t bytes_len;
    char text[64];
    size_t text_len;
} ack_seen;

typedef struct {
    int acks, ins, outs;
    ack_seen ack[ACK_MAX];
    int listed_at_in, listed_at_out; /* times the message was still listed */
} coll_state;

static bool listed(mqtt_t *m, bool incoming, int packet_id) {
    int n = 0;
    if ((incoming ? mqtt_get_incoming_message_count : mqtt_get_outgoing_message_count)(m, &n))
        return true; /* a failure counts against the test */
    for (int i = 0; i < n; i++) {
        mqtt_message *msg = NULL;
        int rc = (incoming ? mqtt_get_incoming_message : mqtt_get_outgoing_message)(m, i, &msg);
        if (rc != MQTT_OK) continue;
        bool same = msg->packet_id == packet_id;
        mqtt_message_free(msg);
        if (same) return true;
    }
    return false;
}

static void coll_on_ack(mqtt_t *m, const mqtt_message_ack_event *e, void *ud) {
    coll_state *s = ud;
    if (s->acks >= ACK_MAX) { s->acks++; return; }
    ack_seen *a = &s->ack[s->acks++];
    a->direction = e->direction;
    a->event_packet_id = e->packet_id;
    a->event_index = e->index;
    bool incoming = e->direction == 1;
    a->count = -1;
    (incoming ? mqtt_get_incoming_message_count : mqtt_get_outgoing_message_count)(m, &a->count);
    mqtt_message *msg = NULL;
    a->get_rc = (incoming ? mqtt_get_incoming_message : mqtt_get_outgoing_message)(m, e->index, &msg);
    if (a->get_rc != MQTT_OK) return;
    a->packet_id = msg->packet_id;
    a->qos = msg->qos;
    a->state = msg->state;
    snprintf(a->topic, sizeof a->topic, "%s", msg->topic);
    a->bytes_len = msg->message_b_len;
    if (msg->message_b_len <= sizeof a->bytes) memcpy(a->bytes, msg->message_b, msg->message_b_len);
    a->text_len = msg->message_len;
    if (msg->message_len < sizeof a->text) memcpy(a->text, msg->message, msg->message_len + 1);
    CB_EXPECT(msg->content_type && msg->correlation_data && msg->response_topic &&
              msg->subscription_identifiers);
    mqtt_message_free(msg);
}

static void coll_on_in(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    coll_state *s = ud;
    s->ins++;
    if (listed(m, true, e->packet_id)) s->listed_at_in++;
}

static void coll_on_out(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    coll_state *s = ud;
    s->outs++;
    if (listed(m, false, e->packet_id)) s->listed_at_out++;
}

TEST(scenario_collections_in_message_ack) {
    mqtt_t *m = connected_client(NULL, MQTT_VERSION_311);
    const char *topic = unique_topic("collections");
    coll_state s;
    memset(&s, 0, sizeof s);
    CHECK_OK(mqtt_on_message_ack(m, coll_on_ack, &s));
    CHECK_OK(mqtt_on_message_in(m, coll_on_in, &s));
    CHECK_OK(mqtt_on_message_out(m, coll_on_out, &s));
    CHECK_OK(mqtt_subscribe(m, topic, 2));
    /* QoS 1 with bytes that are not UTF-8 (text and bytes differ), then QoS 2 text. */
    const unsigned char odd[] = {'a', 0xff, 0, 'b'};
    CHECK_OK(mqtt_publish_data(m, topic, 1, odd, sizeof odd));
    CHECK_OK(mqtt_publish_message(m, topic, 2, "exactly once"));
    CHECK_MSG(wait_count(m, &s.ins, 2, 10), "MessageIn fired %d times", s.ins);
    CHECK_MSG(wait_count(m, &s.outs, 2, 10), "MessageOut fired %d times", s.outs);
    CHECK_MSG(wait_count(m, &s.acks, 4, 10), "MessageAck fired %d times", s.acks);
    CHECK_INT(s.acks, 4);
    int per_direction[2] = {0, 0};
    const char lossy[] = {'a', (char)0xef, (char)0xbf, (char)0xbd, 0, 'b'};
    for (int i = 0; i < 4; i++) {
        ack_seen *a = &s.ack[i];
        CHECK(a->direction == 0 || a->direction == 1);
        per_direction[a->direction]++;
        CHECK_MSG(a->get_rc == MQTT_OK, "ack %d: the message was not at index %d (count %d)", i,
                  a->event_index, a->count);
        CHECK(a->count >= 1 && a->event_index < a->count);
        CHECK_INT(a->packet_id, a->event_packet_id);
        CHECK(a->packet_id > 0);
        CHECK_STR(a->topic, topic);
        CHECK_INT(a->state, a->direction == 0 ? MQTT_STATE_OUT_DONE : MQTT_STATE_IN_DONE);
        if (a->qos == 1) {
            CHECK_INT(a->bytes_len, sizeof odd);
            CHECK(memcmp(a->bytes, odd, sizeof odd) == 0);
            CHECK_INT(a->text_len, sizeof lossy);
            CHECK(memcmp(a->text, lossy, sizeof lossy) == 0);
        } else {
            CHECK_INT(a->qos, 2);
            CHECK_INT(a->bytes_len, 12);
            CHECK(memcmp(a->bytes, "exactly once", 12) == 0);
            CHECK_STR(a->text, "exactly once");
        }
    }
    CHECK_INT(per_direction[0], 2);
    CHECK_INT(per_direction[1], 2);
    CHECK_INT(s.listed_at_in, 0);
    CHECK_INT(s.listed_at_out, 0);
    CHECK_INT(incoming_count(m), 0);
    CHECK_INT(outgoing_count(m), 0);
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- events_fields ---- */

typedef struct {
    int n_status;
    char status[16][64];
    int logs, bad_level;
    int packet_connect, packet_connack;
    int connected, connected_status;
    char connected_desc[64];
    int disconnected, disconnected_status;
    char disconnected_desc[64];
} ev_state;

static void ev_on_status(mqtt_t *m, const mqtt_connection_status_event *e, void *ud) {
    (void)m;
    ev_state *s = ud;
    if (s->n_status < 16) snprintf(s->status[s->n_status], 64, "%s", e->connection_event);
    s->n_status++;
}
static void ev_on_log(mqtt_t *m, const mqtt_log_event *e, void *ud) {
    (void)m;
    ev_state *s = ud;
    s->logs++;
    if (e->log_level < 1 || e->log_level > 3) s->bad_level++;
    if (strcmp(e->log_type, "Packet") == 0) {
        if (strstr(e->message, "CONNECT")) s->packet_connect++;
        if (strstr(e->message, "CONNACK")) s->packet_connack++;
    }
}
static void ev_on_connected(mqtt_t *m, const mqtt_connected_event *e, void *ud) {
    (void)m;
    ev_state *s = ud;
    s->connected++;
    s->connected_status = e->status_code;
    snprintf(s->connected_desc, 64, "%s", e->description);
}
static void ev_on_disconnected(mqtt_t *m, const mqtt_disconnected_event *e, void *ud) {
    (void)m;
    ev_state *s = ud;
    s->disconnected++;
    s->disconnected_status = e->status_code;
    snprintf(s->disconnected_desc, 64, "%s", e->description);
}

static bool saw_status(ev_state *s, const char *what) {
    for (int i = 0; i < s->n_status && i < 16; i++)
        if (strcmp(s->status[i], what) == 0) return true;
    return false;
}

TEST(scenario_events_fields) {
    mqtt_t *m = new_client();
    ev_state s;
    memset(&s, 0, sizeof s);
    CHECK_OK(mqtt_on_connection_status(m, ev_on_status, &s));
    CHECK_OK(mqtt_on_log(m, ev_on_log, &s));
    CHECK_OK(mqtt_on_connected(m, ev_on_connected, &s));
    CHECK_OK(mqtt_on_disconnected(m, ev_on_disconnected, &s));

    /* LogLevel 0: no Log events at all. */
    CHECK_OK(mqtt_config(m, "LogLevel=0", NULL));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK_INT(s.connected, 1);
    CHECK_INT(s.connected_status, 0);
    CHECK_STR(s.connected_desc, "OK");
    CHECK(saw_status(&s, "Remote host connection complete"));
    CHECK(!saw_status(&s, "Remote host disconnected"));
    CHECK_OK(mqtt_disconnect(m));
    CHECK(wait_count(m, &s.disconnected, 1, 5));
    CHECK_INT(s.disconnected_status, 0);
    CHECK_STR(s.disconnected_desc, "OK");
    CHECK(saw_status(&s, "Remote host disconnected"));
    pump(m, 0.1);
    CHECK_INT(s.logs, 0);

    /* LogLevel 3: Packet lines name CONNECT and CONNACK. */
    CHECK_OK(mqtt_config(m, "LogLevel=3", NULL));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK(s.logs > 0);
    CHECK_INT(s.bad_level, 0);
    CHECK_MSG(s.packet_connect > 0, "no Packet log line names CONNECT");
    CHECK_MSG(s.packet_connack > 0, "no Packet log line names CONNACK");
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- config_walk ---- */

static bool is_bool_text(const char *v) {
    return strcasecmp(v, "True") == 0 || strcasecmp(v, "False") == 0;
}

TEST(scenario_config_walk) {
    mqtt_t *m = new_client();
    const mqtt_config_setting *const *list = NULL;
    int n = 0;
    CHECK_OK(mqtt_config_settings(&list, &n));
    int walked = 0, bools = 0, ints = 0, read_only = 0;
    const char *spellings[][2] = {{"True", "True"}, {"False", "False"}, {"1", "True"},
                                  {"0", "False"},   {"Yes", "True"},    {"No", "False"},
                                  {"tRuE", "True"}, {"FALSE", "False"}, {"yes", "True"},
                                  {"NO", "False"}};
    char setting[512], *v = NULL;
    for (int i = 0; i < n; i++) {
        const mqtt_config_setting *c = list[i];
        if (strcmp(c->group, "mqtt") != 0) continue;
        walked++;
        const char *name = c->name; /* indexed ones too: "Name[i]" is the whole array */
        char *value = config_get(m, name); /* every setting answers a read */
        CHECK_MSG(strcmp(value, c->default_value) == 0, "%s reads \"%s\", its default is \"%s\"",
                  name, value, c->default_value);
        if (c->kind == MQTT_SETTING_BOOL)
            CHECK_MSG(is_bool_text(value), "%s reads \"%s\"", name, value);
        if (c->read_only) {
            /* A write is refused, naming the setting, even with the value it holds. */
            read_only++;
            snprintf(setting, sizeof setting, "%s=%s", name, value);
            int rc = mqtt_config(m, setting, NULL);
            CHECK_MSG(rc == MQTT_ERR_INVALID_ARGUMENT, "writing %s gave %d", setting, rc);
            CHECK_ERR_HAS(name);
            CHECK_STR(config_get(m, name), value);
            continue;
        }
        if (c->kind == MQTT_SETTING_BOOL) {
            bools++;
            for (size_t k = 0; k < sizeof spellings / sizeof spellings[0]; k++) {
                snprintf(setting, sizeof setting, "%s=%s", name, spellings[k][0]);
                CHECK_OK(mqtt_config(m, setting, NULL));
                CHECK_STR(config_get(m, name), spellings[k][1]);
            }
            snprintf(setting, sizeof setting, "%s=perhaps", name);
            CHECK_CODE(mqtt_config(m, setting, NULL), MQTT_ERR_INVALID_ARGUMENT);
            CHECK_ERR_HAS("perhaps");
        } else if (c->kind == MQTT_SETTING_INT) {
            ints++;
            snprintf(setting, sizeof setting, "%s=x1y", name);
            CHECK_CODE(mqtt_config(m, setting, NULL), MQTT_ERR_INVALID_ARGUMENT);
            CHECK_ERR_HAS("x1y");
        }
        /* Put the value back (a refused write left it as it was). */
        snprintf(setting, sizeof setting, "%s=%s", name, value);
        CHECK_OK(mqtt_config(m, setting, &v));
        CHECK_STR(v, "");
        mqtt_string_free(v);
        v = NULL;
        CHECK_STR(config_get(m, name), value);
    }
    CHECK_MSG(walked >= 10 && bools > 0 && ints > 0 && read_only > 0,
              "walked %d settings (%d bool, %d int, %d read-only)", walked, bools, ints, read_only);
    /* SessionPresent by name, and a setting that does not exist. */
    CHECK_CODE(mqtt_config(m, "SessionPresent=False", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("SessionPresent");
    CHECK_CODE(mqtt_config(m, "NoSuchSettingAtAll", &v), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("NoSuchSettingAtAll");
    CHECK(v == NULL);
    CHECK_CODE(mqtt_config(m, "NoSuchSettingAtAll=1", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("NoSuchSettingAtAll");
}

/* ---- error_codes ---- */

TEST(scenario_error_codes) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    CHECK_CODE(mqtt_connect_to(m, broker_host(), plain_port()), MQTT_ERR_ALREADY_CONNECTED);
    CHECK_ERR_HAS("connected");
    CHECK_CODE(mqtt_connect(m), MQTT_ERR_ALREADY_CONNECTED);
    CHECK_CODE(mqtt_subscribe(m, "a/#/b", 1), MQTT_ERR_INVALID_TOPIC_FILTER);
    CHECK_ERR_HAS("a/#/b");
    CHECK_CODE(mqtt_subscribe(m, unique_topic("qos3"), 3), MQTT_ERR_INVALID_QOS);
    CHECK_ERR_HAS("3");
    CHECK(get_bool(mqtt_get_connected, m)); /* refused before anything was sent */

    mqtt_t *idle = new_client();
    CHECK_CODE(mqtt_publish_message(idle, "a/b", 1, "x"), MQTT_ERR_CONNECT_FIRST);
    CHECK_ERR_HAS("Connect");
    CHECK_CODE(mqtt_subscribe(idle, "a/b", 1), MQTT_ERR_CONNECT_FIRST);
    CHECK_ERR_HAS("Connect");

    /* 1120: a second client takes the same ClientId and the broker drops the first. */
    char id[64];
    snprintf(id, sizeof id, "c-dup-%d-%06x", (int)getpid(), (unsigned)rand() & 0xffffff);
    rec *r1 = new_rec();
    mqtt_t *first = new_client();
    rec_attach(first, r1);
    CHECK_OK(mqtt_set_client_id(first, id));
    CHECK_OK(mqtt_connect_to(first, broker_host(), plain_port()));
    mqtt_t *second = new_client();
    CHECK_OK(mqtt_set_client_id(second, id));
    CHECK_OK(mqtt_connect_to(second, broker_host(), plain_port()));
    CHECK_MSG(wait_count(first, &r1->disconnected, 1, 10), "the first client was not dropped");
    CHECK_MSG(r1->disconnected_status == MQTT_ERR_DROPPED || r1->error_code == MQTT_ERR_DROPPED,
              "Disconnected %d, Error %d (want 1120)", r1->disconnected_status, r1->error_code);
    CHECK(r1->disconnected_desc && r1->disconnected_desc[0]);
    CHECK(!get_bool(mqtt_get_connected, first));
    CHECK(get_bool(mqtt_get_connected, second));
    CHECK_OK(mqtt_disconnect(second));
}

/* ---- client_id_generation, password_without_user ---- */

TEST(scenario_client_id_generation) {
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    char *id = get_str(mqtt_get_client_id, m);
    CHECK_MSG(strlen(id) > 0, "no ClientId was generated");
    CHECK_STR(config_get(m, "SessionPresent"), "False");
    CHECK_OK(mqtt_disconnect(m));
    CHECK_STR(get_str(mqtt_get_client_id, m), id); /* it stays for the next connect */

    /* CleanSession false with no ClientId: refused before any connection is made. */
    int port = 0;
    int listener = silent_listener(&port);
    rec *r = new_rec();
    mqtt_t *m2 = new_client();
    rec_attach(m2, r);
    CHECK_OK(mqtt_set_clean_session(m2, false));
    CHECK_CODE(mqtt_connect_to(m2, "127.0.0.1", port), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("ClientId");
    pump(m2, 0.2);
    CHECK(!listener_got_connection(listener));
    CHECK_INT(r->connected, 0);
    CHECK_STR(get_str(mqtt_get_client_id, m2), "");
}

TEST(scenario_password_without_user) {
    int port = 0;
    int listener = silent_listener(&port);
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_password(m, "secret"));
    CHECK_CODE(mqtt_connect_to(m, "127.0.0.1", port), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("User");
    pump(m, 0.2);
    CHECK(!listener_got_connection(listener)); /* nothing was sent */
    CHECK(!get_bool(mqtt_get_connected, m));
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- will_on_cut, retain_and_clear, duplicate_and_packet_id ---- */

TEST(scenario_will_on_cut) {
    const char *will = unique_topic("will");
    rec *wr = new_rec();
    mqtt_t *watcher = connected_client(wr, MQTT_VERSION_311);
    CHECK_OK(mqtt_subscribe(watcher, will, 1));

    /* Disconnect: no Will. */
    mqtt_t *polite = new_client();
    CHECK_OK(mqtt_set_will_topic(polite, will));
    CHECK_OK(mqtt_set_will_message(polite, "polite"));
    CHECK_OK(mqtt_connect_to(polite, broker_host(), plain_port()));
    CHECK_OK(mqtt_disconnect(polite));

    /* Freed while connected: the socket is cut without DISCONNECT, so the Will goes out. */
    mqtt_t *rude = new_client();
    CHECK_OK(mqtt_set_will_topic(rude, will));
    CHECK_OK(mqtt_set_will_message(rude, "cut off"));
    CHECK_OK(mqtt_config(rude, "WillQOS=1", NULL));
    CHECK_OK(mqtt_config(rude, "WillRetain=true", NULL));
    CHECK_OK(mqtt_connect_to(rude, broker_host(), plain_port()));
    t_forget(rude);
    mqtt_free(rude);

    CHECK(wait_count(watcher, &wr->in, 1, 10));
    pump(watcher, 0.5);
    CHECK_INT(wr->in, 1); /* only the cut client's Will */
    CHECK_STR(wr->msg_in[0].text, "cut off");
    CHECK_INT(wr->msg_in[0].qos, 1);

    /* WillRetain: the broker kept it, and hands it to a later subscriber as retained. */
    rec *lr = new_rec();
    mqtt_t *late = connected_client(lr, MQTT_VERSION_311);
    CHECK_OK(mqtt_subscribe(late, will, 1));
    CHECK(wait_count(late, &lr->in, 1, 10));
    CHECK(lr->msg_in[0].retained);
    CHECK_STR(lr->msg_in[0].text, "cut off");
    CHECK_INT(lr->msg_in[0].qos, 1);

    /* Clear the retained Will. */
    CHECK_OK(mqtt_config(watcher, "Retain=true", NULL));
    CHECK_OK(mqtt_publish_data(watcher, will, 1, NULL, 0));
    CHECK_OK(mqtt_disconnect(late));
    CHECK_OK(mqtt_disconnect(watcher));
}

TEST(scenario_retain_and_clear) {
    const char *topic = unique_topic("retain");
    const char *control = unique_topic("retaincontrol");
    rec *pr = new_rec();
    mqtt_t *pub = connected_client(pr, MQTT_VERSION_311);
    CHECK_OK(mqtt_config(pub, "Retain=true", NULL));
    CHECK_OK(mqtt_publish_message(pub, topic, 1, "kept"));
    CHECK(wait_count(pub, &pr->out, 1, 10)); /* MessageOut follows the MessageAck */
    CHECK(pr->msg_out[0].retained);

    rec *r1 = new_rec();
    mqtt_t *sub1 = connected_client(r1, MQTT_VERSION_311);
    CHECK_OK(mqtt_subscribe(sub1, topic, 1));
    CHECK(wait_count(sub1, &r1->in, 1, 10));
    CHECK(r1->msg_in[0].retained);
    CHECK_STR(r1->msg_in[0].text, "kept");

    /* An empty retained message clears it. */
    CHECK_OK(mqtt_publish_data(pub, topic, 1, NULL, 0));
    CHECK(wait_count(pub, &pr->acks, 2, 10));
    CHECK_OK(mqtt_config(pub, "Retain=false", NULL));

    rec *r2 = new_rec();
    mqtt_t *sub2 = connected_client(r2, MQTT_VERSION_311);
    CHECK_OK(mqtt_subscribe(sub2, topic, 1));
    CHECK_OK(mqtt_subscribe(sub2, control, 1));
    /* A retained message would come right after the first SUBACK, before this one. */
    CHECK_OK(mqtt_publish_message(pub, control, 1, "control"));
    CHECK(wait_count(sub2, &r2->in, 1, 10));
    pump(sub2, 0.2);
    CHECK_INT(r2->in, 1);
    CHECK_STR(r2->msg_in[0].topic, control);
    CHECK(!r2->msg_in[0].retained);
}

TEST(scenario_duplicate_and_packet_id) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *topic = unique_topic("dup");
    CHECK_OK(mqtt_config(m, "Duplicate=true", NULL));
    CHECK_OK(mqtt_publish_message(m, topic, 1, "again?"));
    int pid = atoi(config_get(m, "OutgoingPacketId"));
    CHECK(pid > 0);
    CHECK(wait_count(m, &r->out, 1, 10));
    CHECK(r->msg_out[0].duplicate);
    CHECK_INT(r->msg_out[0].qos, 1);
    CHECK_INT(r->msg_out[0].packet_id, pid);
    CHECK(wait_count(m, &r->acks, 1, 10));
    CHECK_INT(r->ack[0].packet_id, pid);
    /* Duplicate off again: the next one goes out without the flag, with a new id. */
    CHECK_OK(mqtt_config(m, "Duplicate=false", NULL));
    CHECK_OK(mqtt_publish_message(m, topic, 1, "once"));
    int pid2 = atoi(config_get(m, "OutgoingPacketId"));
    CHECK(wait_count(m, &r->out, 2, 10));
    CHECK(!r->msg_out[1].duplicate);
    CHECK_INT(r->msg_out[1].packet_id, pid2);
    CHECK(pid2 != pid);
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- send_custom_packet ---- */

typedef struct {
    int pingresp;
} custom_state;

static void custom_on_log(mqtt_t *m, const mqtt_log_event *e, void *ud) {
    (void)m;
    if (strcmp(e->log_type, "Packet") == 0 && strstr(e->message, "PINGRESP"))
        ((custom_state *)ud)->pingresp++;
}

TEST(scenario_send_custom_packet) {
    mqtt_t *m = connected_client(NULL, MQTT_VERSION_311);
    custom_state s = {0};
    CHECK_OK(mqtt_on_log(m, custom_on_log, &s));
    CHECK_OK(mqtt_config(m, "LogLevel=3", NULL));
    CHECK_OK(mqtt_config(m, "SendCustomPacket=C000", NULL));
    CHECK_MSG(wait_count(m, &s.pingresp, 1, 5), "no PINGRESP in the Packet log");
    CHECK_CODE(mqtt_config(m, "SendCustomPacket=C00", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("C00");
    CHECK_CODE(mqtt_config(m, "SendCustomPacket=ZZ00", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("ZZ00");
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- reentrant_handlers ---- */

typedef struct {
    const char *ping, *pong;
    char filters[700];
    int sub_rc, sub_calls;
    int pub_rc, pub_calls, pong_id;
    int disc_rc, disc_calls;
    int disconnected;
} reentrant_state;

static void re_on_connected(mqtt_t *m, const mqtt_connected_event *e, void *ud) {
    reentrant_state *s = ud;
    if (e->status_code != 0) return;
    s->sub_calls++;
    s->sub_rc = mqtt_subscribe(m, s->filters, 1); /* blocking, nested in connect */
}
static void re_on_message_in(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    reentrant_state *s = ud;
    if (strcmp(e->topic, s->ping) != 0) return;
    s->pub_calls++;
    s->pub_rc = mqtt_publish_message(m, s->pong, 1, "pong");
    char *id = NULL;
    if (mqtt_config(m, "OutgoingPacketId", &id) == MQTT_OK) {
        s->pong_id = atoi(id);
        mqtt_string_free(id);
    }
}
static void re_on_ack(mqtt_t *m, const mqtt_message_ack_event *e, void *ud) {
    reentrant_state *s = ud;
    if (e->direction != 0) return;
    /* Which message? The collection says, at the event's index (the PUBACK of the pong may
     * come back while the publish call in on_message_in is still running). */
    mqtt_message *msg = NULL;
    if (mqtt_get_outgoing_message(m, e->index, &msg) != MQTT_OK) return;
    bool pong = strcmp(msg->topic, s->pong) == 0;
    mqtt_message_free(msg);
    if (!pong) return;
    s->disc_calls++;
    s->disc_rc = mqtt_disconnect(m); /* blocking, nested in do_events */
}
static void re_on_disconnected(mqtt_t *m, const mqtt_disconnected_event *e, void *ud) {
    (void)m;
    (void)e;
    ((reentrant_state *)ud)->disconnected++;
}

TEST(scenario_reentrant_handlers) {
    reentrant_state s;
    memset(&s, 0, sizeof s);
    s.ping = unique_topic("ping");
    s.pong = unique_topic("pong");
    s.sub_rc = s.pub_rc = s.disc_rc = -1;
    snprintf(s.filters, sizeof s.filters, "%s,%s", s.ping, s.pong);
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_on_connected(m, re_on_connected, &s));
    CHECK_OK(mqtt_on_message_in(m, re_on_message_in, &s));
    CHECK_OK(mqtt_on_message_ack(m, re_on_ack, &s));
    CHECK_OK(mqtt_on_disconnected(m, re_on_disconnected, &s));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK_INT(s.sub_calls, 1);
    CHECK_INT(s.sub_rc, 0);
    CHECK_OK(mqtt_publish_message(m, s.ping, 1, "ping"));
    CHECK_MSG(wait_count(m, &s.disconnected, 1, 10), "published %d, disconnected %d times",
              s.pub_calls, s.disc_calls);
    CHECK_INT(s.pub_calls, 1);
    CHECK_INT(s.pub_rc, 0);
    CHECK(s.pong_id > 0);
    CHECK_INT(s.disc_calls, 1);
    CHECK_INT(s.disc_rc, 0);
    CHECK(!get_bool(mqtt_get_connected, m));
}

/* ---- threads_publish ---- */

#define THREADS 4
#define PER_THREAD 50
typedef struct {
    pthread_mutex_t lock;
    int got;
    int seen[THREADS][PER_THREAD];
    int strays;
} threads_state;

typedef struct {
    mqtt_t *m;
    const char *topic;
    int index, failures, last_rc;
} publisher;

static void threads_on_in(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    (void)m;
    threads_state *s = ud;
    int t = -1, i = -1;
    pthread_mutex_lock(&s->lock);
    if (sscanf(e->message, "%d-%d", &t, &i) == 2 && t >= 0 && t < THREADS && i >= 0 &&
        i < PER_THREAD)
        s->seen[t][i]++;
    else
        s->strays++;
    s->got++;
    pthread_mutex_unlock(&s->lock);
}

static void *publish_fifty(void *arg) {
    publisher *p = arg;
    char text[32];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(text, sizeof text, "%d-%d", p->index, i);
        int rc = mqtt_publish_message(p->m, p->topic, 1, text);
        if (rc != MQTT_OK) {
            p->failures++;
            p->last_rc = rc;
        }
    }
    return NULL;
}

static int threads_got(threads_state *s) {
    pthread_mutex_lock(&s->lock);
    int n = s->got;
    pthread_mutex_unlock(&s->lock);
    return n;
}

TEST(scenario_threads_publish) {
    mqtt_t *m = connected_client(NULL, MQTT_VERSION_311);
    const char *topic = unique_topic("threads");
    threads_state *s = t_malloc(sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    CHECK_OK(mqtt_on_message_in(m, threads_on_in, s));
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    publisher p[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        p[t] = (publisher){m, topic, t, 0, 0};
        CHECK(pthread_create(&th[t], NULL, publish_fifty, &p[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < THREADS; t++)
        CHECK_MSG(p[t].failures == 0, "thread %d: %d publishes failed (last %d)", t,
                  p[t].failures, p[t].last_rc);
    double end = now_s() + 20;
    while (threads_got(s) < THREADS * PER_THREAD && now_s() < end) CHECK_OK(mqtt_do_events(m));
    pump(m, 0.2);
    CHECK_INT(threads_got(s), THREADS * PER_THREAD);
    CHECK_INT(s->strays, 0);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            CHECK_MSG(s->seen[t][i] == 1, "message %d-%d arrived %d times", t, i, s->seen[t][i]);
    CHECK_OK(mqtt_disconnect(m));
    pthread_mutex_destroy(&s->lock);
}

/* ---- destroy_in_flight ---- */

TEST(scenario_destroy_in_flight) {
    const char *topic = unique_topic("inflight");
    rec *r0 = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r0);
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK_OK(mqtt_subscribe(m, topic, 2)); /* our own messages come back: in flight both ways */
    CHECK_OK(mqtt_set_timeout(m, 0));
    /* A few small ones, and let their handshakes get under way. Ten in all: fewer than
     * MaxInflight (20 under 3.1.1), so the big one below is not held back behind them but
     * goes to the send buffer, where it exceeds the bound. */
    for (int i = 0; i < 5; i++) {
        CHECK_OK(mqtt_publish_message(m, topic, 1, "qos one in flight"));
        CHECK_OK(mqtt_publish_message(m, topic, 2, "qos two in flight"));
    }
    CHECK_OK(mqtt_do_events(m));
    /* Then 5 MiB at QoS 2: more than the send buffer's bound, so it is accepted with 135
     * and is certainly still waiting to be sent when the client is destroyed. */
    size_t len = 5u * 1024 * 1024;
    unsigned char *big = t_malloc(len);
    memset(big, 0x5A, len);
    CHECK_CODE(mqtt_publish_data(m, topic, 2, big, len), MQTT_ERR_WOULD_BLOCK);
    CHECK_ERR_HAS("was accepted");
    int rc = mqtt_publish_data(m, topic, 1, big, 1024); /* accepted, or 135 if still full */
    CHECK_MSG(rc == MQTT_OK || rc == MQTT_ERR_WOULD_BLOCK, "publish returned %d", rc);
    t_forget(m);
    mqtt_free(m); /* valgrind (tests/c/run) checks nothing leaks */

    /* The process is healthy: a new client works end to end. */
    rec *r = new_rec();
    mqtt_t *after = connected_client(r, MQTT_VERSION_311);
    const char *check = unique_topic("afterfree");
    CHECK_OK(mqtt_subscribe(after, check, 1));
    CHECK_OK(mqtt_publish_message(after, check, 1, "alive"));
    CHECK(wait_count(after, &r->in, 1, 10));
    CHECK_STR(r->msg_in[0].text, "alive");
    CHECK_OK(mqtt_disconnect(after));
}
