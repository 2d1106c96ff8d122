/*
 * ABI: a program compiled against an older mqtt.h keeps working with a newer libmqtt.
 *
 * Each struct that crosses the boundary is declared here a second time, frozen as an older
 * header declared it ("abi_v*_..."), and the library's functions are bound to those
 * declarations with asm labels: the calls below are exactly what an old program's object
 * code does (same symbols, the old struct's size and offsets). The _Static_asserts fail the
 * build if a field of the current header moved; the tests show the library reads and
 * writes only what the old caller's struct holds (valgrind checks the bytes in tests/c/run).
 *
 * Never edit the frozen declarations: add a newer one when the header grows.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "runner.h"

#define SAME_FIELD(old, cur, f)                                                          \
    _Static_assert(offsetof(old, f) == offsetof(cur, f) &&                               \
                       sizeof(((old *)0)->f) == sizeof(((cur *)0)->f),                   \
                   #cur "." #f " moved: fields may only be appended")

/* ---- mqtt_message: allocated by the library, read by the caller ---- */

/* mqtt_message as the first header with a library-allocated message declared it. */
typedef struct {
    int packet_id;
    const char *topic;
    int qos;
    const char *message;
    size_t message_len;
    const uint8_t *message_b;
    size_t message_b_len;
    bool retained;
    bool duplicate;
    int state;
    const char *content_type;
    const char *correlation_data;
    int64_t message_exp_interval;
    int payload_format_indicator;
    const char *response_topic;
    const char *subscription_identifiers;
    int topic_alias;
} abi_v1_message;

/* An older caller still: the struct as if it had ended at the MQTT 3.1.1 fields and the
 * MQTT 5.0 ones were appended later (what the next version does with its own fields). */
typedef struct {
    int packet_id;
    const char *topic;
    int qos;
    const char *message;
    size_t message_len;
    const uint8_t *message_b;
    size_t message_b_len;
    bool retained;
    bool duplicate;
    int state;
} abi_v0_message;

SAME_FIELD(abi_v1_message, mqtt_message, packet_id);
SAME_FIELD(abi_v1_message, mqtt_message, topic);
SAME_FIELD(abi_v1_message, mqtt_message, qos);
SAME_FIELD(abi_v1_message, mqtt_message, message);
SAME_FIELD(abi_v1_message, mqtt_message, message_len);
SAME_FIELD(abi_v1_message, mqtt_message, message_b);
SAME_FIELD(abi_v1_message, mqtt_message, message_b_len);
SAME_FIELD(abi_v1_message, mqtt_message, retained);
SAME_FIELD(abi_v1_message, mqtt_message, duplicate);
SAME_FIELD(abi_v1_message, mqtt_message, state);
SAME_FIELD(abi_v1_message, mqtt_message, content_type);
SAME_FIELD(abi_v1_message, mqtt_message, correlation_data);
SAME_FIELD(abi_v1_message, mqtt_message, message_exp_interval);
SAME_FIELD(abi_v1_message, mqtt_message, payload_format_indicator);
SAME_FIELD(abi_v1_message, mqtt_message, response_topic);
SAME_FIELD(abi_v1_message, mqtt_message, subscription_identifiers);
SAME_FIELD(abi_v1_message, mqtt_message, topic_alias);
SAME_FIELD(abi_v0_message, mqtt_message, state);
_Static_assert(sizeof(abi_v0_message) < sizeof(mqtt_message), "v0 is a strict prefix");

/* The functions as the old headers declared them, bound to today's symbols. */
extern int v0_get_incoming_message(const mqtt_t *m, int index, abi_v0_message **out)
    __asm__("mqtt_get_incoming_message");
extern void v0_message_free(abi_v0_message *msg) __asm__("mqtt_message_free");
extern int v1_get_incoming_message(const mqtt_t *m, int index, abi_v1_message **out)
    __asm__("mqtt_get_incoming_message");
extern void v1_message_free(abi_v1_message *msg) __asm__("mqtt_message_free");

typedef struct {
    int acks, rc_v0, rc_v1, rc_now;
    int id_v0, id_v1, id_now, qos_v0, state_v0;
    char topic_v0[200], text_v0[64], content_type_v1[64], response_topic_v1[64];
    char topic_now[200], content_type_now[64];
} abi_seen;

static void abi_on_ack(mqtt_t *m, const mqtt_message_ack_event *e, void *ud) {
    abi_seen *s = ud;
    if (e->direction != 1) return;
    s->acks++;
    abi_v0_message *old = NULL;
    s->rc_v0 = v0_get_incoming_message(m, e->index, &old);
    if (s->rc_v0 == MQTT_OK) {
        s->id_v0 = old->packet_id;
        s->qos_v0 = old->qos;
        s->state_v0 = old->state;
        snprintf(s->topic_v0, sizeof s->topic_v0, "%s", old->topic);
        snprintf(s->text_v0, sizeof s->text_v0, "%.*s", (int)old->message_len, old->message);
        v0_message_free(old); /* frees the whole (larger) allocation */
    }
    abi_v1_message *v1 = NULL;
    s->rc_v1 = v1_get_incoming_message(m, e->index, &v1);
    if (s->rc_v1 == MQTT_OK) {
        s->id_v1 = v1->packet_id;
        snprintf(s->content_type_v1, sizeof s->content_type_v1, "%s", v1->content_type);
        snprintf(s->response_topic_v1, sizeof s->response_topic_v1, "%s", v1->response_topic);
        v1_message_free(v1);
    }
    mqtt_message *now = NULL;
    s->rc_now = mqtt_get_incoming_message(m, e->index, &now);
    if (s->rc_now == MQTT_OK) {
        s->id_now = now->packet_id;
        snprintf(s->topic_now, sizeof s->topic_now, "%s", now->topic);
        snprintf(s->content_type_now, sizeof s->content_type_now, "%s", now->content_type);
        mqtt_message_free(now);
    }
}

TEST(abi_old_callers_read_a_newer_message) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, MQTT_VERSION_5);
    const char *topic = unique_topic("abi");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    abi_seen s;
    memset(&s, 0, sizeof s);
    s.rc_v0 = s.rc_v1 = s.rc_now = -1;
    CHECK_OK(mqtt_on_message_ack(m, abi_on_ack, &s));
    CHECK_OK(mqtt_config(m,
                         "OutgoingMessageProperties={\"ContentType\":\"text/plain\","
                         "\"ResponseTopic\":\"reply/abi\"}",
                         NULL));
    CHECK_OK(mqtt_publish_message(m, topic, 1, "old and new"));
    CHECK_MSG(wait_count(m, &s.acks, 1, 10), "no incoming MessageAck");

    CHECK_INT(s.rc_now, MQTT_OK);
    CHECK_INT(s.rc_v0, MQTT_OK);
    CHECK_INT(s.rc_v1, MQTT_OK);
    /* The oldest caller sees its fields, with the values today's caller sees. */
    CHECK(s.id_now > 0);
    CHECK_INT(s.id_v0, s.id_now);
    CHECK_STR(s.topic_v0, s.topic_now);
    CHECK_STR(s.topic_v0, topic);
    CHECK_INT(s.qos_v0, 1);
    CHECK_INT(s.state_v0, MQTT_STATE_IN_DONE);
    CHECK_STR(s.text_v0, "old and new");
    /* The v1 caller sees the MQTT 5.0 fields where its header put them. */
    CHECK_INT(s.id_v1, s.id_now);
    CHECK_STR(s.content_type_v1, "text/plain");
    CHECK_STR(s.content_type_v1, s.content_type_now);
    CHECK_STR(s.response_topic_v1, "reply/abi");
}

/* ---- mqtt_firewall: allocated by the caller, sized by struct_size ---- */

/* mqtt_firewall as the first header with struct_size declared it. */
typedef struct {
    size_t struct_size;
    bool auto_detect;
    int firewall_type;
    const char *host;
    const char *password;
    int port;
    const char *user;
} abi_v1_firewall;

/* A caller built against a header newer than this library: one field more at the end. */
typedef struct {
    abi_v1_firewall v1;
    const char *from_the_future;
} abi_v2_firewall;

SAME_FIELD(abi_v1_firewall, mqtt_firewall, struct_size);
SAME_FIELD(abi_v1_firewall, mqtt_firewall, auto_detect);
SAME_FIELD(abi_v1_firewall, mqtt_firewall, firewall_type);
SAME_FIELD(abi_v1_firewall, mqtt_firewall, host);
SAME_FIELD(abi_v1_firewall, mqtt_firewall, password);
SAME_FIELD(abi_v1_firewall, mqtt_firewall, port);
SAME_FIELD(abi_v1_firewall, mqtt_firewall, user);

extern int v1_set_firewall(mqtt_t *m, const abi_v1_firewall *fw) __asm__("mqtt_set_firewall");
extern int v1_get_firewall(const mqtt_t *m, abi_v1_firewall *fw) __asm__("mqtt_get_firewall");
extern void v1_firewall_release(abi_v1_firewall *fw) __asm__("mqtt_firewall_release");
extern int v2_set_firewall(mqtt_t *m, const abi_v2_firewall *fw) __asm__("mqtt_set_firewall");
extern int v2_get_firewall(const mqtt_t *m, abi_v2_firewall *fw) __asm__("mqtt_get_firewall");
extern void v2_firewall_release(abi_v2_firewall *fw) __asm__("mqtt_firewall_release");

TEST(abi_firewall_old_caller_round_trip) {
    mqtt_t *m = new_client();
    /* Exactly the old caller's bytes: a heap block of sizeof(abi_v1_firewall), so valgrind
     * reports any read or write past what the old header declared. */
    abi_v1_firewall *fw = calloc(1, sizeof *fw);
    t_defer(free, fw);
    fw->struct_size = sizeof *fw;
    fw->firewall_type = MQTT_FIREWALL_SOCKS5;
    fw->host = "proxy.example";
    fw->port = 1081;
    fw->user = "u";
    CHECK_OK(v1_set_firewall(m, fw));
    CHECK_STR(config_get(m, "FirewallHost"), "proxy.example");

    abi_v1_firewall *back = calloc(1, sizeof *back);
    t_defer(free, back);
    back->struct_size = sizeof *back;
    CHECK_OK(v1_get_firewall(m, back));
    CHECK_INT(back->struct_size, sizeof *back);
    CHECK_INT(back->firewall_type, MQTT_FIREWALL_SOCKS5);
    CHECK_INT(back->port, 1081);
    CHECK_STR(back->host, "proxy.example");
    CHECK_STR(back->user, "u");
    CHECK_STR(back->password, "");
    v1_firewall_release(back);
    CHECK(back->host == NULL && back->user == NULL && back->password == NULL);
    CHECK_INT(back->struct_size, sizeof *back);
    v1_firewall_release(back); /* twice is harmless */
}

TEST(abi_firewall_newer_caller_keeps_its_extra_field) {
    mqtt_t *m = new_client();
    abi_v2_firewall fw;
    memset(&fw, 0, sizeof fw);
    fw.v1.struct_size = sizeof fw;
    fw.v1.firewall_type = MQTT_FIREWALL_TUNNEL;
    fw.v1.host = "tunnel.example";
    fw.from_the_future = "not read by this library";
    CHECK_OK(v2_set_firewall(m, &fw));
    CHECK_STR(config_get(m, "FirewallType"), "1");

    abi_v2_firewall back;
    memset(&back, 0, sizeof back);
    back.v1.struct_size = sizeof back;
    back.from_the_future = "untouched";
    CHECK_OK(v2_get_firewall(m, &back));
    CHECK_STR(back.v1.host, "tunnel.example");
    CHECK_STR(back.from_the_future, "untouched");
    v2_firewall_release(&back);
    CHECK(back.v1.host == NULL);
    CHECK_STR(back.from_the_future, "untouched");
}

TEST(abi_firewall_without_struct_size_is_refused) {
    mqtt_t *m = new_client();
    mqtt_firewall fw = {0}; /* the classic mistake: struct_size not set */
    fw.firewall_type = MQTT_FIREWALL_TUNNEL;
    fw.host = "nowhere.example";
    CHECK_CODE(mqtt_set_firewall(m, &fw), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("struct_size");
    CHECK_STR(config_get(m, "FirewallType"), "0"); /* nothing changed */
    CHECK_CODE(mqtt_get_firewall(m, &fw), MQTT_ERR_INVALID_ARGUMENT);
    CHECK(fw.host != NULL && strcmp(fw.host, "nowhere.example") == 0); /* untouched */
    fw.struct_size = sizeof(abi_v1_firewall) - 1;
    CHECK_CODE(mqtt_set_firewall(m, &fw), MQTT_ERR_INVALID_ARGUMENT);
    mqtt_firewall_release(NULL);
}

/* ---- mqtt_message_event: grew `properties` at its end ---- */

/* mqtt_message_event before MQTT 5.0 properties: a callback built against it reads the same
 * fields at the same places. */
typedef struct {
    int packet_id;
    const char *topic;
    int qos;
    const char *message;
    size_t message_len;
    const uint8_t *message_b;
    size_t message_b_len;
    bool retained;
    bool duplicate;
} abi_v0_message_event;

SAME_FIELD(abi_v0_message_event, mqtt_message_event, packet_id);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, topic);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, qos);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, message);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, message_len);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, message_b);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, message_b_len);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, retained);
SAME_FIELD(abi_v0_message_event, mqtt_message_event, duplicate);
_Static_assert(offsetof(mqtt_message_event, properties) >= sizeof(abi_v0_message_event),
               "properties must come after every older field");

/* ---- mqtt_publish_options: allocated by the caller, sized by struct_size ---- */

/* A caller built against a header newer than this library: one field more at the end. */
typedef struct {
    mqtt_publish_options v1;
    const char *from_the_future;
} abi_v2_publish_options;

extern int v2_publish_ex(mqtt_t *m, const char *topic, const uint8_t *data, size_t len,
                         const abi_v2_publish_options *opts, mqtt_delivered *out)
    __asm__("mqtt_publish_ex");

TEST(abi_publish_options_struct_size) {
    mqtt_t *m = new_client();
    /* Exactly the caller's bytes on the heap, so valgrind sees a read past them. */
    mqtt_publish_options init = MQTT_PUBLISH_OPTIONS_INIT;
    CHECK_INT(init.struct_size, sizeof(mqtt_publish_options));
    mqtt_publish_options *o = malloc(sizeof *o);
    t_defer(free, o);
    *o = init;
    o->qos = 1;
    /* Read in full: the call gets as far as "not connected". */
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, o, NULL), MQTT_ERR_CONNECT_FIRST);
    abi_v2_publish_options v2;
    memset(&v2, 0, sizeof v2);
    v2.v1 = init;
    v2.v1.struct_size = sizeof v2;
    v2.from_the_future = "not read by this library";
    CHECK_CODE(v2_publish_ex(m, "t", NULL, 0, &v2, NULL), MQTT_ERR_CONNECT_FIRST);
    /* The classic mistake, struct_size not set, and one too small: 10022 naming it. */
    mqtt_publish_options unset = init;
    unset.struct_size = 0;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &unset, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("struct_size");
    unset.struct_size = sizeof unset - 1;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &unset, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("struct_size");
}

/* ---- mqtt_config_setting: library-owned, handed out as an array of pointers ---- */

typedef struct {
    const char *name;
    const char *group;
    int kind;
    bool read_only;
    int applies;
    const char *default_value;
    bool indexed;
} abi_v1_config_setting;

SAME_FIELD(abi_v1_config_setting, mqtt_config_setting, name);
SAME_FIELD(abi_v1_config_setting, mqtt_config_setting, group);
SAME_FIELD(abi_v1_config_setting, mqtt_config_setting, kind);
SAME_FIELD(abi_v1_config_setting, mqtt_config_setting, read_only);
SAME_FIELD(abi_v1_config_setting, mqtt_config_setting, applies);
SAME_FIELD(abi_v1_config_setting, mqtt_config_setting, default_value);
SAME_FIELD(abi_v1_config_setting, mqtt_config_setting, indexed);

extern int v1_config_settings(const abi_v1_config_setting *const **list, int *count)
    __asm__("mqtt_config_settings");

TEST(abi_config_settings_are_reached_through_pointers) {
    const abi_v1_config_setting *const *old = NULL;
    const mqtt_config_setting *const *now = NULL;
    int n_old = 0, n_now = 0;
    CHECK_OK(v1_config_settings(&old, &n_old));
    CHECK_OK(mqtt_config_settings(&now, &n_now));
    CHECK_INT(n_old, n_now);
    /* The old caller indexes pointers, not structs: its smaller sizeof does not matter. */
    for (int i = 0; i < n_now; i++) {
        CHECK_STR(old[i]->name, now[i]->name);
        CHECK_STR(old[i]->default_value, now[i]->default_value);
        CHECK(old[i]->indexed == now[i]->indexed);
    }
}
