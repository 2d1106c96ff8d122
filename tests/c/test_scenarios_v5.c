/* The scenarios of tests/scenarios.tsv that came with issue 4 and need only the shared broker
 * of tests/harness/with-brokers: MQTT 5.0 (CONNACK properties, will with reason 4, a server's
 * DISCONNECT, message properties, subscription options, topic aliases, Receive Maximum,
 * Maximum Packet Size), shared subscriptions, and a QoS 2 burst under 3.1.1. */
#define _GNU_SOURCE
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static int plain_port(void) { return broker_port("FERROMQ_TEST_PORT"); }

/* Pump two clients in turn until *counter reaches `want` or `secs` pass. */
static bool wait_count2(mqtt_t *a, mqtt_t *b, const int *counter, int want, double secs) {
    double end = now_s() + secs;
    while (*counter < want && now_s() < end) {
        mqtt_do_events(a);
        if (b && *counter < want) mqtt_do_events(b);
    }
    return *counter >= want;
}

/* ---- v5_connack_properties ---- */

TEST(scenario_v5_connack_properties) {
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_STR(get_str(mqtt_get_client_id, m), "");
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    /* The server assigned the id: ClientId shows it, and so does the CONNACK. */
    char *id = get_str(mqtt_get_client_id, m);
    CHECK_MSG(id[0] != 0, "no ClientId after connecting with an empty one");
    char *connack = config_get(m, "ConnAckProperties");
    char want[512];
    snprintf(want, sizeof want, "\"AssignedClientIdentifier\":\"%s\"", id);
    CHECK_MSG(strstr(connack, want) != NULL, "ConnAckProperties %s lacks %s", connack, want);
    CHECK_MSG(strstr(connack, "\"ReceiveMaximum\":") != NULL, "ConnAckProperties %s", connack);
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- v5_will_reason_4 ---- */

TEST(scenario_v5_will_reason_4) {
    const char *will = unique_topic("will4");
    rec *wr = new_rec();
    mqtt_t *watcher = connected_client(wr, MQTT_VERSION_5);
    CHECK_OK(mqtt_subscribe(watcher, will, 1));

    /* A plain Disconnect under 5.0 (reason 0): no Will. */
    mqtt_t *plain = new_client();
    CHECK_OK(mqtt_set_version(plain, MQTT_VERSION_5));
    CHECK_OK(mqtt_set_will_topic(plain, will));
    CHECK_OK(mqtt_set_will_message(plain, "not asked for"));
    CHECK_OK(mqtt_connect_to(plain, broker_host(), plain_port()));
    CHECK_OK(mqtt_disconnect(plain));

    /* DisconnectReasonCode 4, "disconnect with Will Message": the broker publishes it. */
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_OK(mqtt_set_will_topic(m, will));
    CHECK_OK(mqtt_set_will_message(m, "asked for"));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    CHECK_OK(mqtt_config(m, "DisconnectReasonCode=4", NULL));
    CHECK_OK(mqtt_disconnect(m));

    CHECK_MSG(wait_count(watcher, &wr->in, 1, 10), "no Will arrived");
    pump(watcher, 0.3);
    CHECK_INT(wr->in, 1);
    CHECK_STR(wr->msg_in[0].topic, will);
    CHECK_STR(wr->msg_in[0].text, "asked for");
    CHECK_OK(mqtt_disconnect(watcher));
}

/* ---- v5_server_disconnect_reason ---- */

TEST(scenario_v5_server_disconnect_reason) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_5);
    /* PUBLISH QoS 0 to "a/#" with an empty property block, sent raw: a wildcard in a topic
     * name, which the library itself would refuse. mosquitto answers with DISCONNECT. */
    CHECK_OK(mqtt_config(m, "SendCustomPacket=3006 0003 612F23 00", NULL));
    CHECK_MSG(wait_count(m, &r->disconnected, 1, 10), "no Disconnected");
    CHECK_INT(r->disconnected_status, MQTT_ERR_PROTOCOL);
    int reason = atoi(config_get(m, "DisconnectReasonCode"));
    CHECK_MSG(reason >= 128 && reason <= 255, "DisconnectReasonCode %d", reason);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%02X", reason);
    CHECK_MSG(strstr(r->disconnected_desc, hex) != NULL, "description \"%s\" lacks %s",
              r->disconnected_desc, hex);
    CHECK(!get_bool(mqtt_get_connected, m));
}

/* ---- v5_message_properties ---- */

typedef struct {
    int acks_in, get_rc;
    char topic[256], content_type[64], correlation_data[64], response_topic[64], sub_ids[64];
    long long exp_interval;
    int payload_format, qos, state;
} props_seen;

static void props_on_ack(mqtt_t *m, const mqtt_message_ack_event *e, void *ud) {
    props_seen *s = ud;
    if (e->direction != 1) return;
    s->acks_in++;
    mqtt_message *msg = NULL;
    s->get_rc = mqtt_get_incoming_message(m, e->index, &msg);
    if (s->get_rc != MQTT_OK) return;
    snprintf(s->topic, sizeof s->topic, "%s", msg->topic);
    snprintf(s->content_type, sizeof s->content_type, "%s", msg->content_type);
    snprintf(s->correlation_data, sizeof s->correlation_data, "%s", msg->correlation_data);
    snprintf(s->response_topic, sizeof s->response_topic, "%s", msg->response_topic);
    snprintf(s->sub_ids, sizeof s->sub_ids, "%s", msg->subscription_identifiers);
    s->exp_interval = msg->message_exp_interval;
    s->payload_format = msg->payload_format_indicator;
    s->qos = msg->qos;
    s->state = msg->state;
    mqtt_message_free(msg);
}

TEST(scenario_v5_message_properties) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_5);
    const char *topic = unique_topic("v5props");
    CHECK_OK(mqtt_config(m, "SubscriptionIdentifier=77", NULL));
    CHECK_OK(mqtt_subscribe(m, topic, 2));
    CHECK_OK(mqtt_config(m, "SubscriptionIdentifier=-1", NULL));
    props_seen s;
    memset(&s, 0, sizeof s);
    s.get_rc = -1;
    CHECK_OK(mqtt_on_message_ack(m, props_on_ack, &s));
    CHECK_OK(mqtt_config(m,
                         "OutgoingMessageProperties={\"ContentType\":\"text/plain\","
                         "\"ResponseTopic\":\"reply/here\",\"CorrelationData\":\"c0ffee\","
                         "\"MessageExpInterval\":\"300\",\"PayloadFormatIndicator\":\"1\","
                         "\"UserProperty\":\"who:me\"}",
                         NULL));
    CHECK_OK(mqtt_publish_message(m, topic, 2, "with properties"));
    CHECK_MSG(wait_count(m, &r->in, 1, 10), "the message did not come back");
    CHECK_MSG(wait_count(m, &s.acks_in, 1, 5), "no incoming MessageAck");
    CHECK_STR(r->msg_in[0].text, "with properties");

    /* The message as IncomingMessages listed it during its MessageAck. */
    CHECK_INT(s.get_rc, MQTT_OK);
    CHECK_STR(s.topic, topic);
    CHECK_INT(s.qos, 2);
    CHECK_INT(s.state, MQTT_STATE_IN_DONE);
    CHECK_STR(s.content_type, "text/plain");
    CHECK_STR(s.response_topic, "reply/here");
    CHECK_MSG(strcasecmp(s.correlation_data, "c0ffee") == 0, "CorrelationData \"%s\"",
              s.correlation_data);
    CHECK_INT(s.payload_format, 1);
    CHECK_MSG(s.exp_interval > 0 && s.exp_interval <= 300, "MessageExpInterval %lld",
              s.exp_interval);
    CHECK_STR(s.sub_ids, "77");

    /* The user properties of the last message received. */
    CHECK_STR(config_get(m, "IncomingUserPropCount"), "1");
    CHECK_STR(config_get(m, "IncomingUserPropName[0]"), "who");
    CHECK_STR(config_get(m, "IncomingUserPropValue[0]"), "me");
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- v5_subscription_options ---- */

TEST(scenario_v5_subscription_options) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_5);
    const char *topic = unique_topic("v5options");
    /* A retained message first: Retain Handling 2 must not send it on subscribe. */
    CHECK_OK(mqtt_config(m, "Retain=true", NULL));
    CHECK_OK(mqtt_publish_message(m, topic, 1, "retained"));
    CHECK(wait_count(m, &r->out, 1, 10));
    CHECK_OK(mqtt_config(m, "Retain=false", NULL));

    CHECK_OK(mqtt_config(m, "TopicNLArray=true", NULL));
    CHECK_OK(mqtt_config(m, "TopicRHArray=2", NULL));
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    CHECK_INT(r->subscribed, 1);
    CHECK_INT(r->subs[0].qos, 1);
    /* No Local: our own publish does not come back. */
    CHECK_OK(mqtt_publish_message(m, topic, 1, "own"));
    CHECK(wait_count(m, &r->out, 2, 10));
    /* The subscription works: another client's message does arrive (and only it). */
    mqtt_t *other = connected_client(NULL, MQTT_VERSION_5);
    CHECK_OK(mqtt_publish_message(other, topic, 1, "from another client"));
    CHECK_MSG(wait_count(m, &r->in, 1, 10), "the other client's message did not arrive");
    pump(m, 0.3);
    CHECK_INT(r->in, 1);
    CHECK_STR(r->msg_in[0].text, "from another client");
    CHECK(!r->msg_in[0].retained);

    /* Clear the retained message. */
    CHECK_OK(mqtt_config(other, "Retain=true", NULL));
    CHECK_OK(mqtt_publish_data(other, topic, 1, NULL, 0));
    CHECK_OK(mqtt_disconnect(other));
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- v5_topic_alias ---- */

TEST(scenario_v5_topic_alias) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_5);
    const char *topic = unique_topic("v5alias");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    int max = atoi(config_get(m, "ServerTopicAliasMax"));
    CHECK_MSG(max > 0, "ServerTopicAliasMax %d: mosquitto accepts topic aliases", max);
    CHECK_OK(mqtt_config(m, "TopicAlias=1", NULL));
    CHECK_OK(mqtt_publish_message(m, topic, 1, "maps the alias"));
    CHECK_OK(mqtt_publish_message(m, "", 1, "by alias"));
    CHECK_MSG(wait_count(m, &r->in, 2, 10), "%d of 2 messages arrived", r->in);
    CHECK_STR(r->msg_in[0].topic, topic);
    CHECK_STR(r->msg_in[0].text, "maps the alias");
    CHECK_STR(r->msg_in[1].topic, topic);
    CHECK_STR(r->msg_in[1].text, "by alias");
    CHECK_OK(mqtt_config(m, "TopicAlias=-1", NULL));
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- v5_receive_maximum, qos2_burst_311: bursts of 300 QoS 2 publishes ---- */

#define BURST 300
typedef struct {
    int got, in_order, strays;
    int next;
} burst_state;

static void burst_on_in(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    (void)m;
    burst_state *s = ud;
    char *end = NULL;
    long n = strtol(e->message, &end, 10);
    if (end == e->message || *end != 0) {
        s->strays++;
        return;
    }
    if (n == s->next) s->in_order++;
    s->next = (int)n + 1;
    s->got++;
}

/* Publisher side: how many QoS 2 publishes were unacknowledged at once, from the Packet log
 * (sent PUBLISH ... received PUBCOMP). */
typedef struct {
    int outstanding, max_outstanding, publishes, pubcomps;
} window_state;

static void window_on_log(mqtt_t *m, const mqtt_log_event *e, void *ud) {
    (void)m;
    window_state *w = ud;
    if (strcmp(e->log_type, "Packet") != 0) return;
    if (strncmp(e->message, "sent PUBLISH", 12) == 0) {
        w->publishes++;
        if (++w->outstanding > w->max_outstanding) w->max_outstanding = w->outstanding;
    } else if (strncmp(e->message, "received PUBCOMP", 16) == 0) {
        w->pubcomps++;
        w->outstanding--;
    }
}

TEST(scenario_v5_receive_maximum) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_5);
    const char *topic = unique_topic("v5burst");
    burst_state s = {0, 0, 0, 0};
    CHECK_OK(mqtt_on_message_in(m, burst_on_in, &s));
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    char *connack = config_get(m, "ConnAckProperties");
    const char *rm = strstr(connack, "\"ReceiveMaximum\":");
    CHECK_MSG(rm != NULL, "ConnAckProperties %s", connack);
    int receive_max = atoi(rm + strlen("\"ReceiveMaximum\":"));
    CHECK(receive_max > 0);
    window_state w = {0, 0, 0, 0};
    CHECK_OK(mqtt_on_log(m, window_on_log, &w));
    CHECK_OK(mqtt_config(m, "LogLevel=3", NULL));
    char text[16];
    for (int i = 0; i < BURST; i++) {
        snprintf(text, sizeof text, "%d", i);
        CHECK_OK(mqtt_publish_message(m, topic, 2, text));
    }
    CHECK_MSG(wait_count(m, &s.got, BURST, 60), "%d of %d arrived", s.got, BURST);
    CHECK_MSG(wait_count(m, &w.pubcomps, BURST, 10), "%d of %d PUBCOMPs", w.pubcomps, BURST);
    pump(m, 0.2);
    CHECK_INT(s.got, BURST);
    CHECK_INT(s.in_order, BURST);
    CHECK_INT(s.strays, 0);
    CHECK_INT(w.publishes, BURST);
    CHECK_MSG(w.max_outstanding <= receive_max, "%d unacknowledged at once, ReceiveMaximum %d",
              w.max_outstanding, receive_max);
    CHECK_INT(r->disconnected, 0);
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_OK(mqtt_disconnect(m));
}

TEST(scenario_qos2_burst_311) {
    /* mosquitto takes 20 unacknowledged QoS 2 publishes from a 3.1.1 client and silently
     * drops the rest: the library must not send more than MaxInflight (20) unasked. */
    mqtt_t *sub = connected_client(NULL, MQTT_VERSION_311);
    const char *topic = unique_topic("burst311");
    burst_state s = {0, 0, 0, 0};
    CHECK_OK(mqtt_on_message_in(sub, burst_on_in, &s));
    CHECK_OK(mqtt_subscribe(sub, topic, 2));

    rec *pr = new_rec();
    mqtt_t *pub = connected_client(pr, MQTT_VERSION_311);
    CHECK_STR(config_get(pub, "MaxInflight"), "0"); /* automatic: 20 under 3.1.1 */
    window_state w = {0, 0, 0, 0};
    CHECK_OK(mqtt_on_log(pub, window_on_log, &w));
    CHECK_OK(mqtt_config(pub, "LogLevel=3", NULL));
    char text[16];
    for (int i = 0; i < BURST; i++) {
        snprintf(text, sizeof text, "%d", i);
        CHECK_OK(mqtt_publish_message(pub, topic, 2, text));
    }
    CHECK_MSG(wait_count2(sub, pub, &s.got, BURST, 60), "%d of %d arrived", s.got, BURST);
    CHECK_MSG(wait_count2(pub, sub, &w.pubcomps, BURST, 10), "%d of %d PUBCOMPs", w.pubcomps,
              BURST);
    pump(sub, 0.2);
    CHECK_INT(s.got, BURST);
    CHECK_INT(s.in_order, BURST);
    CHECK_INT(s.strays, 0);
    CHECK_INT(w.publishes, BURST);
    CHECK_MSG(w.max_outstanding <= 20, "%d unacknowledged at once (MaxInflight 20)",
              w.max_outstanding);
    CHECK_MSG(w.max_outstanding >= 2, "never more than %d in flight", w.max_outstanding);
    CHECK_INT(pr->disconnected, 0);
    CHECK_OK(mqtt_disconnect(pub));
    CHECK_OK(mqtt_disconnect(sub));
}

/* ---- v5_maximum_packet_size ---- */

TEST(scenario_v5_maximum_packet_size) {
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_OK(mqtt_config(m, "ConnectProperties={\"MaximumPacketSize\":\"1000\"}", NULL));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    const char *topic = unique_topic("v5maxsize");
    CHECK_OK(mqtt_subscribe(m, topic, 1));

    /* Another client sends a small, a large, then a small message: the server must not pass
     * the large one to a client that announced 1000 bytes. */
    rec *pr = new_rec();
    mqtt_t *p = connected_client(pr, MQTT_VERSION_5);
    unsigned char small[10], large[5000];
    memset(small, 1, sizeof small);
    memset(large, 2, sizeof large);
    CHECK_OK(mqtt_publish_data(p, topic, 1, small, sizeof small));
    CHECK_OK(mqtt_publish_data(p, topic, 1, large, sizeof large));
    CHECK_OK(mqtt_publish_message(p, topic, 1, "after"));
    CHECK(wait_count(p, &pr->out, 3, 10));
    CHECK_MSG(wait_count(m, &r->in, 2, 10), "%d of 2 small messages arrived", r->in);
    pump(m, 0.3);
    CHECK_INT(r->in, 2);
    CHECK_INT(r->msg_in[0].len, 10);
    CHECK_STR(r->msg_in[1].text, "after");
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_INT(r->disconnected, 0);
    CHECK_OK(mqtt_disconnect(p));
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- shared_subscription ---- */

#define SHARED 40

static int count_from(const rec *r, int seen[SHARED]) {
    for (int i = 0; i < r->in && i < REC_MAX; i++) {
        int n = atoi(r->msg_in[i].text);
        if (n >= 0 && n < SHARED) seen[n]++;
    }
    return r->in;
}

TEST(scenario_shared_subscription) {
    const char *topic = unique_topic("shared");
    char filter[400];
    snprintf(filter, sizeof filter, "$share/g%06x/%s", (unsigned)rand() & 0xffffff, topic);
    rec *ra = new_rec(), *rb = new_rec();
    mqtt_t *a = connected_client(ra, MQTT_VERSION_5);
    mqtt_t *b = connected_client(rb, MQTT_VERSION_5);
    CHECK_OK(mqtt_subscribe(a, filter, 1));
    CHECK_OK(mqtt_subscribe(b, filter, 1));
    CHECK_INT(ra->subs[0].qos, 1);
    CHECK_INT(rb->subs[0].qos, 1);

    rec *pr = new_rec();
    mqtt_t *p = connected_client(pr, MQTT_VERSION_5);
    char text[16];
    for (int i = 0; i < SHARED; i++) {
        snprintf(text, sizeof text, "%d", i);
        CHECK_OK(mqtt_publish_message(p, topic, 1, text));
    }
    CHECK(wait_count(p, &pr->out, SHARED, 10));
    double end = now_s() + 10;
    while (ra->in + rb->in < SHARED && now_s() < end) {
        mqtt_do_events(a);
        mqtt_do_events(b);
    }
    pump(a, 0.3);
    pump(b, 0.3);
    int seen[SHARED] = {0};
    int na = count_from(ra, seen), nb = count_from(rb, seen);
    CHECK_MSG(na + nb == SHARED, "%d + %d messages arrived, want %d", na, nb, SHARED);
    CHECK_MSG(na > 0 && nb > 0, "both members get some: %d / %d", na, nb);
    for (int i = 0; i < SHARED; i++) CHECK_MSG(seen[i] == 1, "message %d arrived %d times", i, seen[i]);
    CHECK_OK(mqtt_disconnect(p));
    CHECK_OK(mqtt_disconnect(a));
    CHECK_OK(mqtt_disconnect(b));
}
