/* The per-message MQTT 5.0 scenarios of tests/scenarios.tsv (issue 17), as in
 * core/tests/it/per_message.rs: options given with each publish (mqtt_publish_ex), acknowledged
 * publishes, each received message's properties, request/response (mqtt_request,
 * mqtt_respond) and the will's properties. */
#define _GNU_SOURCE
#include "runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int plain_port(void) { return broker_port("FERROMQ_TEST_PORT"); }
static void free_event(void *e) { mqtt_message_event_free(e); }
static void free_client(void *m) { mqtt_free(m); }

/* ---- what a received message carried (copied out of the callback) ---- */

#define PM_MAX 128
#define PM_PAIRS 8
#define PM_TEXT 200
/* Fixed-size copies: a test records up to PM_MAX messages without allocating per message.
 * An absent string is NULL (the pointer member), a present one points to its array. */
typedef struct {
    char topic[PM_TEXT], payload[PM_TEXT];
    int qos;
    const mqtt_message_properties *props_ptr; /* only compared with NULL */
    int payload_format_indicator, topic_alias;
    int64_t message_expiry_interval;
    char *content_type, *response_topic;
    char content_type_buf[PM_TEXT], response_topic_buf[PM_TEXT];
    bool has_correlation;
    uint8_t correlation[16];
    size_t correlation_len;
    uint32_t ids[PM_PAIRS];
    size_t ids_len;
    char names[PM_PAIRS][PM_TEXT], values[PM_PAIRS][PM_TEXT];
    size_t pairs;
} pm_msg;

typedef struct {
    int n;
    pm_msg m[PM_MAX];
} pm_rec;

static char *copy_text(char *buf, const char *s) {
    if (!s) return NULL;
    snprintf(buf, PM_TEXT, "%s", s);
    return buf;
}

/* Runs on the thread that pumps the client; copies what the test checks afterwards. */
static void on_message(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    (void)m;
    pm_rec *r = ud;
    if (r->n >= PM_MAX) return;
    pm_msg *o = &r->m[r->n];
    copy_text(o->topic, e->topic);
    copy_text(o->payload, e->message);
    o->qos = e->qos;
    o->props_ptr = e->properties;
    CB_EXPECT(e->properties != NULL);
    if (e->properties) {
        const mqtt_message_properties *p = e->properties;
        o->payload_format_indicator = p->payload_format_indicator;
        o->message_expiry_interval = p->message_expiry_interval;
        o->topic_alias = p->topic_alias;
        o->content_type = copy_text(o->content_type_buf, p->content_type);
        o->response_topic = copy_text(o->response_topic_buf, p->response_topic);
        o->has_correlation = p->correlation_data != NULL;
        CB_EXPECT(p->correlation_data_len <= sizeof o->correlation);
        if (p->correlation_data && p->correlation_data_len <= sizeof o->correlation) {
            memcpy(o->correlation, p->correlation_data, p->correlation_data_len);
            o->correlation_len = p->correlation_data_len;
        }
        CB_EXPECT(p->subscription_identifiers_len <= PM_PAIRS);
        for (size_t i = 0; i < p->subscription_identifiers_len && i < PM_PAIRS; i++)
            o->ids[o->ids_len++] = p->subscription_identifiers[i];
        CB_EXPECT(p->user_properties_len <= PM_PAIRS);
        for (size_t i = 0; i < p->user_properties_len && i < PM_PAIRS; i++) {
            copy_text(o->names[i], p->user_properties[i].name);
            copy_text(o->values[i], p->user_properties[i].value);
            o->pairs++;
        }
    }
    r->n++;
}

static mqtt_t *v5_client(pm_rec *r) {
    mqtt_t *m = new_client();
    if (r) CHECK_OK(mqtt_on_message_in(m, on_message, r));
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    return m;
}

/* ---- every property a client may publish, telling message i apart ---- */

typedef struct {
    char content_type[32], response_topic[32], n[16];
    uint8_t correlation[3];
    mqtt_user_property pairs[3];
    mqtt_publish_options o;
} all_props;

/* The options live in `a` (the caller's storage): nothing here allocates. */
static const mqtt_publish_options *all_properties(all_props *a, int i, int qos) {
    mqtt_publish_options init = MQTT_PUBLISH_OPTIONS_INIT;
    a->o = init;
    a->o.qos = qos;
    snprintf(a->content_type, sizeof a->content_type, "text/x-%d", i);
    snprintf(a->response_topic, sizeof a->response_topic, "replies/%d", i);
    snprintf(a->n, sizeof a->n, "%d", i);
    /* Not UTF-8, and holding a zero: correlation data is bytes. */
    a->correlation[0] = 0xff;
    a->correlation[1] = 0;
    a->correlation[2] = (uint8_t)i;
    a->pairs[0] = (mqtt_user_property){"n", a->n};
    a->pairs[1] = (mqtt_user_property){"dup", "first"};
    a->pairs[2] = (mqtt_user_property){"dup", "second"};
    mqtt_message_properties *p = &a->o.properties;
    p->payload_format_indicator = i % 2;
    p->message_expiry_interval = 3600 + i;
    p->content_type = a->content_type;
    p->response_topic = a->response_topic;
    p->correlation_data = a->correlation;
    p->correlation_data_len = 3;
    p->user_properties = a->pairs;
    p->user_properties_len = 3;
    return &a->o;
}

/* The message carries exactly all_properties(i); returns a description of the first
 * difference, or NULL. */
static const char *differs(const pm_msg *m, int i) {
    static char why[2 * PM_TEXT + 64];
    char want[32];
    if (!m->props_ptr) return "no properties pointer";
    if (m->payload_format_indicator != i % 2) return "payload_format_indicator";
    /* mosquitto counts a message's expiry down: it may arrive a little lower. */
    if (m->message_expiry_interval > 3600 + i || m->message_expiry_interval + 5 < 3600 + i)
        return "message_expiry_interval";
    snprintf(want, sizeof want, "text/x-%d", i);
    if (!m->content_type || strcmp(m->content_type, want) != 0) return "content_type";
    snprintf(want, sizeof want, "replies/%d", i);
    if (!m->response_topic || strcmp(m->response_topic, want) != 0) return "response_topic";
    uint8_t corr[3] = {0xff, 0, (uint8_t)i};
    if (!m->has_correlation || m->correlation_len != 3 || memcmp(m->correlation, corr, 3) != 0)
        return "correlation_data";
    snprintf(want, sizeof want, "%d", i);
    const char *names[3] = {"n", "dup", "dup"}, *values[3] = {want, "first", "second"};
    if (m->pairs != 3) {
        snprintf(why, sizeof why, "%zu user properties", m->pairs);
        return why;
    }
    for (int k = 0; k < 3; k++)
        if (strcmp(m->names[k], names[k]) != 0 || strcmp(m->values[k], values[k]) != 0) {
            snprintf(why, sizeof why, "user property %d is %s=%s", k, m->names[k], m->values[k]);
            return why;
        }
    return NULL;
}

static int index_of(const char *topic) { return atoi(strrchr(topic, '/') + 1); }

/* ---- publish_options_concurrent ---- */

typedef struct {
    mqtt_t *m;
    const char *prefix;
    int i, rc;
    char error[256];
} publish_job;

static void *publish_one(void *p) {
    publish_job *j = p;
    char topic[256], payload[16];
    snprintf(topic, sizeof topic, "%s/%d", j->prefix, j->i);
    snprintf(payload, sizeof payload, "m%d", j->i);
    all_props a;
    mqtt_delivered d = {0, 0};
    j->rc = mqtt_publish_ex(j->m, topic, (const uint8_t *)payload, strlen(payload),
                            all_properties(&a, j->i, j->i % 3), &d);
    if (j->rc != MQTT_OK) snprintf(j->error, sizeof j->error, "%s", mqtt_last_error());
    return NULL;
}

TEST(scenario_publish_options_concurrent) {
    pm_rec *r = t_malloc(sizeof *r);
    mqtt_t *sub = v5_client(r);
    const char *topic = unique_topic("options");
    char filter[256];
    snprintf(filter, sizeof filter, "%s/#", topic);
    CHECK_OK(mqtt_subscribe(sub, filter, 2));
    mqtt_t *pub = v5_client(NULL);
    /* A client-wide setting that must stay out of the per-message publishes. */
    CHECK_OK(mqtt_config(pub, "OutgoingMessageProperties={\"ContentType\":\"wide\"}", NULL));
    char *before = config_get(pub, "OutgoingMessageProperties");

    enum { N = 100 };
    publish_job *jobs = t_malloc(N * sizeof *jobs);
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (publish_job){.m = pub, .prefix = topic, .i = i};
        CHECK(pthread_create(&threads[i], NULL, publish_one, &jobs[i]) == 0);
    }
    for (int i = 0; i < N; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < N; i++)
        CHECK_MSG(jobs[i].rc == MQTT_OK, "publish %d: %d %s", i, jobs[i].rc, jobs[i].error);

    CHECK_MSG(wait_count(sub, &r->n, N, 30), "received %d of %d", r->n, N);
    pump(sub, 0.2);
    CHECK_INT(r->n, N);
    int wrong = 0;
    bool seen[N] = {false};
    for (int k = 0; k < r->n; k++) {
        const pm_msg *m = &r->m[k];
        int i = index_of(m->topic);
        CHECK(i >= 0 && i < N && !seen[i]);
        seen[i] = true;
        char want[16];
        snprintf(want, sizeof want, "m%d", i);
        CHECK_STR(m->payload, want);
        CHECK_INT(m->qos, i % 3);
        const char *why = differs(m, i);
        if (why) {
            wrong++;
            fprintf(stderr, "message %d: %s differs\n", i, why);
        }
    }
    CHECK_INT(wrong, 0);
    CHECK_STR(config_get(pub, "OutgoingMessageProperties"), before);

    /* Checked before anything is sent, naming the value. */
    mqtt_publish_options o = MQTT_PUBLISH_OPTIONS_INIT;
    o.qos = 1;
    uint32_t id = 4;
    o.properties.subscription_identifiers = &id;
    o.properties.subscription_identifiers_len = 1;
    CHECK_CODE(mqtt_publish_ex(pub, topic, NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("subscription_identifiers");
    o.properties.subscription_identifiers = NULL;
    o.properties.subscription_identifiers_len = 0;
    o.properties.payload_format_indicator = 2;
    CHECK_CODE(mqtt_publish_ex(pub, topic, NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("payload_format_indicator 2");
    o.properties.payload_format_indicator = -1;
    o.qos = 3;
    CHECK_CODE(mqtt_publish_ex(pub, topic, NULL, 0, &o, NULL), MQTT_ERR_INVALID_QOS);
    mqtt_t *old = new_client();
    CHECK_OK(mqtt_connect_to(old, broker_host(), plain_port()));
    all_props a;
    CHECK_CODE(mqtt_publish_ex(old, topic, NULL, 0, all_properties(&a, 1, 0), NULL),
               MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("5.0");
    CHECK_OK(mqtt_disconnect(old));
    CHECK_OK(mqtt_disconnect(pub));
    CHECK_OK(mqtt_disconnect(sub));
}

/* ---- publish_acknowledged ---- */

TEST(scenario_publish_acknowledged) {
    const char *user = getenv("FERROMQ_TEST_USER"), *pass = getenv("FERROMQ_TEST_PASSWORD");
    const char *denied_prefix = getenv("FERROMQ_TEST_DENIED_PREFIX");
    CHECK_MSG(user && pass && denied_prefix, "FERROMQ_TEST_USER / _PASSWORD / _DENIED_PREFIX not set");
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_OK(mqtt_set_user(m, user));
    CHECK_OK(mqtt_set_password(m, pass));
    CHECK_OK(mqtt_connect_to(m, broker_host(), broker_port("FERROMQ_TEST_AUTH_PORT")));
    const char *topic = unique_topic("acked");
    CHECK_OK(mqtt_subscribe(m, topic, 2));

    mqtt_publish_options o = MQTT_PUBLISH_OPTIONS_INIT;
    mqtt_delivered q0 = {0, 99}, q1 = {0, 99}, q2 = {0, 99}, nobody = {0, 99};
    CHECK_OK(mqtt_publish_ex(m, topic, (const uint8_t *)"0", 1, &o, &q0));
    CHECK_INT(q0.packet_id, -1);
    CHECK_INT(q0.reason_code, 0);
    /* NULL options are QoS 0 too. */
    mqtt_delivered dflt = {0, 99};
    CHECK_OK(mqtt_publish_ex(m, topic, (const uint8_t *)"d", 1, NULL, &dflt));
    CHECK_INT(dflt.packet_id, -1);
    o.qos = 1;
    CHECK_OK(mqtt_publish_ex(m, topic, (const uint8_t *)"1", 1, &o, &q1));
    CHECK(q1.packet_id > 0);
    CHECK_INT(q1.reason_code, 0);
    o.qos = 2;
    CHECK_OK(mqtt_publish_ex(m, topic, (const uint8_t *)"2", 1, &o, &q2));
    CHECK(q2.packet_id > 0 && q2.packet_id != q1.packet_id);
    CHECK_INT(q2.reason_code, 0);
    /* mosquitto acknowledges a message nobody subscribed to with 0x10: still a success. */
    o.qos = 1;
    CHECK_OK(mqtt_publish_ex(m, unique_topic("nobody"), (const uint8_t *)"x", 1, &o, &nobody));
    CHECK_INT(nobody.reason_code, 0x10);
    /* Without `out` it returns once accepted. */
    CHECK_OK(mqtt_publish_ex(m, topic, (const uint8_t *)"a", 1, &o, NULL));
    /* Refused by the broker's ACL: the wait fails with 506 naming the reason code. */
    for (int qos = 1; qos <= 2; qos++) {
        char denied[256];
        snprintf(denied, sizeof denied, "%s%s", denied_prefix, unique_topic("x"));
        o.qos = qos;
        mqtt_delivered d = {12345, 12345};
        CHECK_CODE(mqtt_publish_ex(m, denied, (const uint8_t *)"no", 2, &o, &d),
                   MQTT_ERR_SERVER_REFUSED);
        CHECK_ERR_HAS("0x87");
        CHECK_INT(d.packet_id, 12345); /* untouched on failure */
    }
    CHECK_OK(mqtt_disconnect(m));
}

/* ---- message_properties ---- */

TEST(scenario_message_properties) {
    pm_rec *r = t_malloc(sizeof *r);
    mqtt_t *sub = v5_client(r);
    const char *topic = unique_topic("props");
    char filter[256], t[256];
    snprintf(filter, sizeof filter, "%s/#", topic);
    CHECK_OK(mqtt_config(sub, "SubscriptionIdentifier=77", NULL));
    CHECK_OK(mqtt_subscribe(sub, filter, 2));
    mqtt_t *pub = v5_client(NULL);
    all_props a;
    mqtt_delivered d;
    for (int qos = 0; qos < 3; qos++) {
        snprintf(t, sizeof t, "%s/%d", topic, qos);
        CHECK_OK(mqtt_publish_ex(pub, t, (const uint8_t *)"p", 1, all_properties(&a, qos, qos), &d));
    }
    CHECK_MSG(wait_count(sub, &r->n, 3, 15), "received %d of 3", r->n);
    for (int k = 0; k < 3; k++) {
        const pm_msg *m = &r->m[k];
        int i = m->qos;
        CHECK_INT(index_of(m->topic), i);
        const char *why = differs(m, i);
        CHECK_MSG(why == NULL, "QoS %d message: %s differs", i, why);
        CHECK_INT(m->ids_len, 1);
        CHECK_INT(m->ids[0], 77);
        CHECK_INT(m->topic_alias, -1);
    }
    /* A 3.1.1 client's messages carry none: every value absent, the pointer still there. */
    pm_rec *pr = t_malloc(sizeof *pr);
    mqtt_t *plain = new_client();
    CHECK_OK(mqtt_on_message_in(plain, on_message, pr));
    CHECK_OK(mqtt_connect_to(plain, broker_host(), plain_port()));
    CHECK_OK(mqtt_subscribe(plain, filter, 1));
    snprintf(t, sizeof t, "%s/x", topic);
    CHECK_OK(mqtt_publish_ex(pub, t, (const uint8_t *)"p", 1, all_properties(&a, 1, 1), &d));
    CHECK_MSG(wait_count(plain, &pr->n, 1, 15), "the 3.1.1 subscriber got nothing");
    const pm_msg *m = &pr->m[0];
    CHECK(m->props_ptr != NULL);
    CHECK_INT(m->payload_format_indicator, -1);
    CHECK_INT(m->message_expiry_interval, -1);
    CHECK_INT(m->topic_alias, -1);
    CHECK(m->content_type == NULL && m->response_topic == NULL && !m->has_correlation);
    CHECK_INT(m->ids_len, 0);
    CHECK_INT(m->pairs, 0);
    CHECK_OK(mqtt_disconnect(plain));
    CHECK_OK(mqtt_disconnect(pub));
    CHECK_OK(mqtt_disconnect(sub));
}

/* ---- request_response ---- */

typedef struct {
    atomic_bool stop;
    atomic_int answered, failed;
} responder_state;

/* The responder answers from its MessageIn callback: QoS 0 requests, read through their
 * ResponseTopic and CorrelationData. */
static void on_request(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    responder_state *s = ud;
    char answer[128];
    int n = snprintf(answer, sizeof answer, "re:%s", e->message);
    if (!e->properties || !e->properties->response_topic ||
        mqtt_respond(m, e, (const uint8_t *)answer, (size_t)n, NULL, NULL) != MQTT_OK)
        atomic_fetch_add(&s->failed, 1);
    else
        atomic_fetch_add(&s->answered, 1);
}

typedef struct {
    mqtt_t *m;
    responder_state *s;
} responder_args;

static void *serve(void *p) {
    responder_args *a = p;
    while (!atomic_load(&a->s->stop)) mqtt_do_events(a->m);
    return NULL;
}

typedef struct {
    mqtt_t *m;
    const char *topic;
    int i, rc;
    char answer[64], error[256];
} request_job;

static void *request_one(void *p) {
    request_job *j = p;
    char q[16];
    snprintf(q, sizeof q, "q%d", j->i);
    mqtt_message_event *resp = NULL;
    j->rc = mqtt_request(j->m, j->topic, (const uint8_t *)q, strlen(q), 20000, NULL, &resp);
    if (j->rc != MQTT_OK) {
        snprintf(j->error, sizeof j->error, "%s", mqtt_last_error());
        return NULL;
    }
    snprintf(j->answer, sizeof j->answer, "%.*s", (int)resp->message_b_len,
             (const char *)resp->message_b);
    mqtt_message_event_free(resp);
    return NULL;
}

static responder_state *stop_target;
static pthread_t stop_thread;
static void stop_responder(void *unused) {
    (void)unused;
    atomic_store(&stop_target->stop, true);
    pthread_join(stop_thread, NULL);
}

TEST(scenario_request_response) {
    const char *topic = unique_topic("service");
    responder_state *s = t_malloc(sizeof *s);
    mqtt_t *responder = new_client();
    CHECK_OK(mqtt_on_message_in(responder, on_request, s));
    CHECK_OK(mqtt_set_version(responder, MQTT_VERSION_5));
    CHECK_OK(mqtt_connect_to(responder, broker_host(), plain_port()));
    CHECK_OK(mqtt_subscribe(responder, topic, 0));
    responder_args *ra = t_malloc(sizeof *ra);
    *ra = (responder_args){responder, s};
    stop_target = s;
    CHECK(pthread_create(&stop_thread, NULL, serve, ra) == 0);
    /* Registered after the client: deferred calls run last first, so the thread stops
     * before the client is freed, whatever check fails below. */
    t_defer(stop_responder, NULL);

    mqtt_t *req = v5_client(NULL);
    enum { N = 50 };
    request_job *jobs = t_malloc(N * sizeof *jobs);
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (request_job){.m = req, .topic = topic, .i = i};
        CHECK(pthread_create(&threads[i], NULL, request_one, &jobs[i]) == 0);
    }
    for (int i = 0; i < N; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "re:q%d", i);
        CHECK_MSG(jobs[i].rc == MQTT_OK, "request %d: %d %s", i, jobs[i].rc, jobs[i].error);
        CHECK_STR(jobs[i].answer, want);
    }

    /* One more, read with its properties: the response carries our correlation data. */
    mqtt_message_event *one = NULL;
    CHECK_OK(mqtt_request(req, topic, (const uint8_t *)"solo", 4, 20000, NULL, &one));
    t_defer(free_event, one);
    CHECK_INT(one->message_len, 7);
    CHECK_STR(one->message, "re:solo");
    CHECK(one->properties != NULL && one->properties->correlation_data != NULL);
    CHECK(one->properties->correlation_data_len > 0);

    /* Nobody answers: 201 after the timeout. */
    mqtt_message_event *none = NULL;
    CHECK_CODE(mqtt_request(req, unique_topic("nobody"), (const uint8_t *)"?", 1, 300, NULL, &none),
               MQTT_ERR_TIMEOUT);
    CHECK(none == NULL);
    /* A request sets its own ResponseTopic and CorrelationData. */
    mqtt_publish_options o = MQTT_PUBLISH_OPTIONS_INIT;
    o.properties.response_topic = "mine";
    CHECK_CODE(mqtt_request(req, topic, NULL, 0, 1000, &o, &none), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_request(req, topic, NULL, 0, -1, NULL, &none), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("timeout_ms -1");

    /* A message without ResponseTopic cannot be answered. */
    mqtt_message_properties empty = MQTT_MESSAGE_PROPERTIES_INIT;
    mqtt_message_event plain;
    memset(&plain, 0, sizeof plain);
    plain.packet_id = -1;
    plain.topic = "t";
    plain.message = "";
    plain.message_b = (const uint8_t *)"";
    plain.properties = &empty;
    CHECK_CODE(mqtt_respond(req, &plain, (const uint8_t *)"x", 1, NULL, NULL),
               MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("ResponseTopic");

    CHECK_INT(atomic_load(&s->failed), 0);
    CHECK_INT(atomic_load(&s->answered), N + 1);
    CHECK_OK(mqtt_disconnect(req));
}

/* ---- will_properties ---- */

TEST(scenario_will_properties) {
    pm_rec *r = t_malloc(sizeof *r);
    mqtt_t *watcher = v5_client(r);
    const char *topic = unique_topic("will5");
    CHECK_OK(mqtt_subscribe(watcher, topic, 1));
    mqtt_t *rude = mqtt_new();
    CHECK(rude != NULL);
    t_defer(free_client, rude);
    CHECK_OK(mqtt_set_timeout(rude, 15));
    CHECK_OK(mqtt_set_version(rude, MQTT_VERSION_5));
    CHECK_OK(mqtt_set_will_topic(rude, topic));
    CHECK_OK(mqtt_set_will_message(rude, "gone"));
    CHECK_OK(mqtt_config(rude,
                         "WillProperties={\"ContentType\":\"text/plain\",\"CorrelationData\":\"00ff\","
                         "\"MessageExpInterval\":600,\"PayloadFormatIndicator\":1,"
                         "\"ResponseTopic\":\"who/cares\",\"WillDelayInterval\":0,"
                         "\"UserProperty\":\"site:north\",\"UserProperty\":\"site:south\"}",
                         NULL));
    CHECK_OK(mqtt_connect_to(rude, broker_host(), plain_port()));
    /* Cut off without DISCONNECT: the broker publishes the will. */
    t_forget(rude);
    mqtt_free(rude);
    CHECK_MSG(wait_count(watcher, &r->n, 1, 15), "no will arrived");
    const pm_msg *m = &r->m[0];
    CHECK_STR(m->payload, "gone");
    CHECK_STR(m->content_type, "text/plain");
    CHECK(m->has_correlation && m->correlation_len == 2);
    CHECK_INT(m->correlation[0], 0);
    CHECK_INT(m->correlation[1], 0xff);
    CHECK_INT(m->payload_format_indicator, 1);
    CHECK_STR(m->response_topic, "who/cares");
    CHECK(m->message_expiry_interval <= 600 && m->message_expiry_interval > 590);
    CHECK_INT(m->pairs, 2);
    CHECK_STR(m->names[0], "site");
    CHECK_STR(m->values[0], "north");
    CHECK_STR(m->names[1], "site");
    CHECK_STR(m->values[1], "south");
    CHECK_OK(mqtt_disconnect(watcher));
}

/* ---- manual_ack ---- */

/* A consumer with a persistent session: fixed ClientId, CleanSession false. */
static mqtt_t *consumer(const char *id, bool manual_ack, rec *r) {
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_set_client_id(m, id));
    CHECK_OK(mqtt_set_clean_session(m, false));
    CHECK_OK(mqtt_config(m, manual_ack ? "ManualAck=true" : "ManualAck=false", NULL));
    CHECK_OK(mqtt_connect_to(m, broker_host(), plain_port()));
    return m;
}

/* How many MessageAck events of incoming messages (direction 1) `r` saw. */
static int incoming_acks(const rec *r, int ids[REC_MAX]) {
    int n = 0;
    for (int k = 0; k < r->acks && k < REC_MAX; k++)
        if (r->ack[k].direction == 1) ids[n++] = r->ack[k].packet_id;
    return n;
}

static void end_session(const char *id) {
    mqtt_t *clean = new_client();
    CHECK_OK(mqtt_set_client_id(clean, id));
    CHECK_OK(mqtt_connect_to(clean, broker_host(), plain_port()));
    CHECK_OK(mqtt_disconnect(clean));
}

TEST(scenario_manual_ack) {
    const char *topic = unique_topic("manual-ack");
    char id[96];
    snprintf(id, sizeof id, "ferromq-c-manual-ack-%d-%06x", (int)getpid(), (unsigned)rand() & 0xffffff);
    rec *r = new_rec();
    mqtt_t *first = consumer(id, true, r);
    CHECK_OK(mqtt_subscribe(first, topic, 1));

    mqtt_t *pub = connected_client(NULL, MQTT_VERSION_311);
    for (int i = 0; i < 10; i++) {
        char m[8];
        snprintf(m, sizeof m, "m%d", i);
        CHECK_OK(mqtt_publish_message(pub, topic, 1, m));
    }
    CHECK_MSG(wait_count(first, &r->in, 10, 15), "received %d of 10", r->in);
    int ids[REC_MAX];
    CHECK_INT(incoming_acks(r, ids), 0);

    /* Out of order: the second before the first holds it back; they go out in arrival
     * order. */
    CHECK_OK(mqtt_ack(first, r->msg_in[1].packet_id));
    pump(first, 0.3);
    CHECK_INT(incoming_acks(r, ids), 0);
    CHECK_OK(mqtt_ack(first, r->msg_in[0].packet_id));
    CHECK_OK(mqtt_ack(first, r->msg_in[3].packet_id));
    CHECK_OK(mqtt_ack(first, r->msg_in[2].packet_id));
    double end = now_s() + 15;
    while (incoming_acks(r, ids) < 4 && now_s() < end) mqtt_do_events(first);
    CHECK_INT(incoming_acks(r, ids), 4);
    for (int k = 0; k < 4; k++) CHECK_INT(ids[k], r->msg_in[k].packet_id);
    /* Acknowledged already, or unknown: 211, nothing sent. */
    CHECK_CODE(mqtt_ack(first, r->msg_in[0].packet_id), MQTT_ERR_BAD_STATE);
    CHECK_CODE(mqtt_ack(first, 65000), MQTT_ERR_BAD_STATE);
    CHECK_ERR_HAS("65000");

    /* Cut off with six messages unacknowledged; a new consumer gets those six again. */
    CHECK_OK(mqtt_disconnect(first));
    t_forget(first);
    mqtt_free(first);
    rec *r2 = new_rec();
    mqtt_t *second = consumer(id, false, r2);
    CHECK_MSG(wait_count(second, &r2->in, 6, 15), "received %d of 6 again", r2->in);
    pump(second, 0.5);
    CHECK_INT(r2->in, 6);
    for (int k = 0; k < 6; k++) {
        char want[8];
        snprintf(want, sizeof want, "m%d", k + 4);
        CHECK_STR(r2->msg_in[k].text, want);
    }
    CHECK_OK(mqtt_disconnect(second));
    CHECK_OK(mqtt_disconnect(pub));
    end_session(id);
}
