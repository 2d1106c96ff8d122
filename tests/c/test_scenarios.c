/* The cross-language scenarios of tests/scenarios.tsv (all but cross_language, which is
 * examples/c/peer.c), against the real broker started by tests/harness/with-brokers. */
#define _GNU_SOURCE
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>

static void connect_and_disconnect(int version) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, version);
    CHECK(wait_count(m, &r->connected, 1, 5));
    CHECK_INT(r->connected, 1);
    CHECK_INT(r->connected_status, 0);
    bool up = false;
    CHECK_OK(mqtt_get_connected(m, &up));
    CHECK(up);
    CHECK_OK(mqtt_disconnect(m));
    CHECK(wait_count(m, &r->disconnected, 1, 5));
    CHECK_INT(r->disconnected_status, 0);
    CHECK_OK(mqtt_get_connected(m, &up));
    CHECK(!up);
}

TEST(scenario_connect_v311) { connect_and_disconnect(MQTT_VERSION_311); }

TEST(scenario_connect_v5) { connect_and_disconnect(MQTT_VERSION_5); }

/* Publish the three payloads (all 256 byte values, empty, 1 MiB) to our own subscription at
 * `qos` and check they come back byte-identical and in order. */
static rec *roundtrip(int qos) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *topic = unique_topic("roundtrip");
    CHECK_OK(mqtt_subscribe(m, topic, qos));

    unsigned char all[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    size_t big_len = 1024 * 1024;
    unsigned char *big = t_malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = (unsigned char)(i * 31 + 7);
    const unsigned char *payloads[3] = {all, (const unsigned char *)"", big};
    size_t lens[3] = {sizeof all, 0, big_len};

    for (int i = 0; i < 3; i++) CHECK_OK(mqtt_publish_data(m, topic, qos, payloads[i], lens[i]));
    CHECK_MSG(wait_count(m, &r->in, 3, 20), "received %d of 3 messages", r->in);
    /* For QoS 1/2 the MessageOut of the last publish may trail its MessageIn. */
    if (qos > 0) CHECK_MSG(wait_count(m, &r->out, 3, 10), "MessageOut fired %d times", r->out);
    CHECK_INT(r->in, 3);
    for (int i = 0; i < 3; i++) {
        rec_msg *x = &r->msg_in[i];
        CHECK_STR(x->topic, topic);
        CHECK_INT(x->qos, qos);
        CHECK_INT(x->len, lens[i]);
        CHECK_MSG(lens[i] == 0 || memcmp(x->data, payloads[i], lens[i]) == 0,
                  "payload %d differs", i);
        if (qos == 0) CHECK_INT(x->packet_id, -1);
        else CHECK(x->packet_id > 0);
    }
    CHECK_OK(mqtt_disconnect(m));
    return r;
}

TEST(scenario_qos0_roundtrip) { roundtrip(0); }

static int count_acks(rec *r, int direction) {
    int n = 0;
    for (int i = 0; i < r->acks && i < REC_MAX; i++)
        if (r->ack[i].direction == direction) n++;
    return n;
}

TEST(scenario_qos1_roundtrip) {
    rec *r = roundtrip(1);
    CHECK_INT(r->out, 3);
    CHECK_INT(count_acks(r, 0), 3);
    for (int i = 0; i < 3; i++) CHECK_INT(r->msg_out[i].qos, 1);
}

TEST(scenario_qos2_roundtrip) {
    rec *r = roundtrip(2);
    CHECK_INT(r->out, 3);
    CHECK_INT(count_acks(r, 0), 3);
    CHECK_INT(count_acks(r, 1), 3);
}

static bool got_topic(rec *r, const char *topic) {
    for (int i = 0; i < r->in && i < REC_MAX; i++)
        if (strcmp(r->msg_in[i].topic, topic) == 0) return true;
    return false;
}

TEST(scenario_multi_filter_subscribe) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *base = unique_topic("multi");
    char filters[1024], t1[300], t2[300], t3[300], miss[300];
    snprintf(filters, sizeof filters, "%s/a/+/c,%s/b/#,%s/exact", base, base, base);
    CHECK_OK(mqtt_subscribe(m, filters, 1));
    CHECK(wait_count(m, &r->subscribed, 3, 5));
    CHECK_INT(r->subscribed, 3);
    char want[300];
    snprintf(want, sizeof want, "%s/a/+/c", base);
    CHECK_STR(r->subs[0].topic_filter, want);
    snprintf(want, sizeof want, "%s/b/#", base);
    CHECK_STR(r->subs[1].topic_filter, want);
    snprintf(want, sizeof want, "%s/exact", base);
    CHECK_STR(r->subs[2].topic_filter, want);
    for (int i = 0; i < 3; i++) CHECK_INT(r->subs[i].qos, 1);

    snprintf(t1, sizeof t1, "%s/a/xyz/c", base);
    snprintf(t2, sizeof t2, "%s/b/deep/er", base);
    snprintf(t3, sizeof t3, "%s/exact", base);
    snprintf(miss, sizeof miss, "%s/a/x/y/c", base);
    CHECK_OK(mqtt_publish_message(m, miss, 1, "no"));
    CHECK_OK(mqtt_publish_message(m, t1, 1, "one"));
    CHECK_OK(mqtt_publish_message(m, t2, 1, "two"));
    CHECK_OK(mqtt_publish_message(m, t3, 1, "three"));
    CHECK_MSG(wait_count(m, &r->in, 3, 10), "received %d of 3", r->in);
    pump(m, 0.2);
    CHECK(got_topic(r, t1));
    CHECK(got_topic(r, t2));
    CHECK(got_topic(r, t3));
    CHECK(!got_topic(r, miss));
    CHECK_INT(r->in, 3);
}

TEST(scenario_unsubscribe_stops_delivery) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *gone = unique_topic("unsub");
    const char *control = unique_topic("control");
    CHECK_OK(mqtt_subscribe(m, gone, 1));
    CHECK_OK(mqtt_subscribe(m, control, 1));
    CHECK_OK(mqtt_publish_message(m, gone, 1, "before"));
    CHECK(wait_count(m, &r->in, 1, 10));
    CHECK_STR(r->msg_in[0].text, "before");

    CHECK_OK(mqtt_unsubscribe(m, gone));
    CHECK(wait_count(m, &r->unsubscribed, 1, 5));
    CHECK_STR(r->unsub_filters, gone);
    CHECK_OK(mqtt_publish_message(m, gone, 1, "after"));
    /* The broker keeps one client's messages in order: once the control message published
     * after it has arrived, the unsubscribed one would have arrived too. */
    CHECK_OK(mqtt_publish_message(m, control, 1, "control"));
    CHECK(wait_count(m, &r->in, 2, 10));
    pump(m, 0.3);
    CHECK_INT(r->in, 2);
    CHECK_STR(r->msg_in[1].topic, control);
}

TEST(scenario_wrong_password_refused) {
    const char *user = getenv("FERROMQ_TEST_USER");
    const char *pass = getenv("FERROMQ_TEST_PASSWORD");
    CHECK_MSG(user && pass, "FERROMQ_TEST_USER / FERROMQ_TEST_PASSWORD not set");
    int port = broker_port("FERROMQ_TEST_AUTH_PORT");

    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_set_user(m, user));
    CHECK_OK(mqtt_set_password(m, "definitely-not-the-password"));
    CHECK_CODE(mqtt_connect_to(m, broker_host(), port), MQTT_ERR_PROTOCOL);
    CHECK_ERR_HAS("CONNACK");
    bool up = true;
    CHECK_OK(mqtt_get_connected(m, &up));
    CHECK(!up);
    pump(m, 0.1);
    CHECK(r->connected >= 1);
    CHECK_INT(r->connected_status, MQTT_ERR_PROTOCOL);

    CHECK_OK(mqtt_set_password(m, pass));
    CHECK_OK(mqtt_connect_to(m, broker_host(), port));
    CHECK_OK(mqtt_get_connected(m, &up));
    CHECK(up);
    CHECK_OK(mqtt_disconnect(m));
}

TEST(scenario_closed_port_fails) {
    int port = broker_port("FERROMQ_TEST_CLOSED_PORT");
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_CODE(mqtt_connect_to(m, broker_host(), port), MQTT_ERR_CONNECTION_REFUSED);
    char where[64];
    snprintf(where, sizeof where, "%d", port);
    CHECK_ERR_HAS(where);
    CHECK_ERR_HAS(broker_host());
    pump(m, 0.1);
    CHECK_INT(r->connected_status, MQTT_ERR_CONNECTION_REFUSED);
}

/* After a refused publish the connection is still usable: a round trip works. */
static void still_up(mqtt_t *m, rec *r, const char *topic) {
    bool up = false;
    CHECK_OK(mqtt_get_connected(m, &up));
    CHECK(up);
    int before = r->in;
    CHECK_OK(mqtt_publish_message(m, topic, 1, "still here"));
    CHECK(wait_count(m, &r->in, before + 1, 10));
    CHECK_STR(r->msg_in[before].text, "still here");
}

TEST(scenario_publish_wildcard_refused) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *topic = unique_topic("wild");
    char plus[300], hash[300];
    snprintf(plus, sizeof plus, "%s/+/x", topic);
    snprintf(hash, sizeof hash, "%s/#", topic);
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    CHECK_CODE(mqtt_publish_message(m, plus, 1, "no"), MQTT_ERR_INVALID_TOPIC);
    CHECK_CODE(mqtt_publish_message(m, hash, 0, "no"), MQTT_ERR_INVALID_TOPIC);
    CHECK_CODE(mqtt_publish_data(m, "+", 2, (const uint8_t *)"no", 2), MQTT_ERR_INVALID_TOPIC);
    CHECK_INT(r->out, 0);
    still_up(m, r, topic);
    CHECK_INT(r->in, 1); /* nothing from the refused publishes */
}

TEST(scenario_publish_qos3_refused) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_311);
    const char *topic = unique_topic("qos3");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    CHECK_CODE(mqtt_publish_message(m, topic, 3, "no"), MQTT_ERR_INVALID_QOS);
    CHECK_ERR_HAS("3");
    CHECK_CODE(mqtt_publish_data(m, topic, -1, (const uint8_t *)"no", 2), MQTT_ERR_INVALID_QOS);
    CHECK_INT(r->out, 0);
    still_up(m, r, topic);
    CHECK_INT(r->in, 1);
}
