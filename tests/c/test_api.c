/* Tests of the C face that need no broker: NULL handling, properties, config, error codes,
 * the last-error rules and callback registration. */
#define _GNU_SOURCE
#include "runner.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Every function given a NULL handle fails with 10022 and names itself in the message. */
TEST(null_handle_gives_invalid_argument) {
    char *s = NULL;
    int i = 0;
    bool b = false;
#define NULL_HANDLE(call, fname)                                                    \
    do {                                                                            \
        CHECK_CODE(call, MQTT_ERR_INVALID_ARGUMENT);                                \
        CHECK_INT(mqtt_last_error_code(), MQTT_ERR_INVALID_ARGUMENT);               \
        CHECK_ERR_HAS(fname);                                                       \
        CHECK_ERR_HAS("NULL");                                                      \
    } while (0)
    NULL_HANDLE(mqtt_connect(NULL), "mqtt_connect");
    NULL_HANDLE(mqtt_connect_to(NULL, "127.0.0.1", 1883), "mqtt_connect_to");
    NULL_HANDLE(mqtt_disconnect(NULL), "mqtt_disconnect");
    NULL_HANDLE(mqtt_subscribe(NULL, "a", 0), "mqtt_subscribe");
    NULL_HANDLE(mqtt_unsubscribe(NULL, "a"), "mqtt_unsubscribe");
    NULL_HANDLE(mqtt_publish_message(NULL, "a", 0, "x"), "mqtt_publish_message");
    NULL_HANDLE(mqtt_publish_data(NULL, "a", 0, (const uint8_t *)"x", 1), "mqtt_publish_data");
    NULL_HANDLE(mqtt_do_events(NULL), "mqtt_do_events");
    NULL_HANDLE(mqtt_config(NULL, "Retain", &s), "mqtt_config");
    NULL_HANDLE(mqtt_get_client_id(NULL, &s), "mqtt_get_client_id");
    NULL_HANDLE(mqtt_set_client_id(NULL, "x"), "mqtt_set_client_id");
    NULL_HANDLE(mqtt_get_clean_session(NULL, &b), "mqtt_get_clean_session");
    NULL_HANDLE(mqtt_set_clean_session(NULL, true), "mqtt_set_clean_session");
    NULL_HANDLE(mqtt_get_keep_alive_interval(NULL, &i), "mqtt_get_keep_alive_interval");
    NULL_HANDLE(mqtt_set_keep_alive_interval(NULL, 1), "mqtt_set_keep_alive_interval");
    NULL_HANDLE(mqtt_get_user(NULL, &s), "mqtt_get_user");
    NULL_HANDLE(mqtt_set_user(NULL, "u"), "mqtt_set_user");
    NULL_HANDLE(mqtt_get_password(NULL, &s), "mqtt_get_password");
    NULL_HANDLE(mqtt_set_password(NULL, "p"), "mqtt_set_password");
    NULL_HANDLE(mqtt_get_version(NULL, &i), "mqtt_get_version");
    NULL_HANDLE(mqtt_set_version(NULL, 1), "mqtt_set_version");
    NULL_HANDLE(mqtt_get_remote_host(NULL, &s), "mqtt_get_remote_host");
    NULL_HANDLE(mqtt_set_remote_host(NULL, "h"), "mqtt_set_remote_host");
    NULL_HANDLE(mqtt_get_remote_port(NULL, &i), "mqtt_get_remote_port");
    NULL_HANDLE(mqtt_set_remote_port(NULL, 1), "mqtt_set_remote_port");
    NULL_HANDLE(mqtt_get_timeout(NULL, &i), "mqtt_get_timeout");
    NULL_HANDLE(mqtt_set_timeout(NULL, 1), "mqtt_set_timeout");
    NULL_HANDLE(mqtt_get_connected(NULL, &b), "mqtt_get_connected");
    NULL_HANDLE(mqtt_set_connected(NULL, true), "mqtt_set_connected");
    NULL_HANDLE(mqtt_get_will_topic(NULL, &s), "mqtt_get_will_topic");
    NULL_HANDLE(mqtt_set_will_topic(NULL, "w"), "mqtt_set_will_topic");
    NULL_HANDLE(mqtt_get_will_message(NULL, &s), "mqtt_get_will_message");
    NULL_HANDLE(mqtt_set_will_message(NULL, "w"), "mqtt_set_will_message");
    NULL_HANDLE(mqtt_on_connected(NULL, NULL, NULL), "mqtt_on_connected");
    NULL_HANDLE(mqtt_on_connection_status(NULL, NULL, NULL), "mqtt_on_connection_status");
    NULL_HANDLE(mqtt_on_disconnected(NULL, NULL, NULL), "mqtt_on_disconnected");
    NULL_HANDLE(mqtt_on_error(NULL, NULL, NULL), "mqtt_on_error");
    NULL_HANDLE(mqtt_on_log(NULL, NULL, NULL), "mqtt_on_log");
    NULL_HANDLE(mqtt_on_message_ack(NULL, NULL, NULL), "mqtt_on_message_ack");
    NULL_HANDLE(mqtt_on_message_in(NULL, NULL, NULL), "mqtt_on_message_in");
    NULL_HANDLE(mqtt_on_message_out(NULL, NULL, NULL), "mqtt_on_message_out");
    NULL_HANDLE(mqtt_on_ready_to_send(NULL, NULL, NULL), "mqtt_on_ready_to_send");
    NULL_HANDLE(mqtt_on_ssl_server_authentication(NULL, NULL, NULL), "mqtt_on_ssl_server_authentication");
    NULL_HANDLE(mqtt_on_ssl_status(NULL, NULL, NULL), "mqtt_on_ssl_status");
    NULL_HANDLE(mqtt_on_subscribed(NULL, NULL, NULL), "mqtt_on_subscribed");
    NULL_HANDLE(mqtt_on_unsubscribed(NULL, NULL, NULL), "mqtt_on_unsubscribed");
    NULL_HANDLE(mqtt_set_event_notifier(NULL, NULL, NULL), "mqtt_set_event_notifier");
    NULL_HANDLE(mqtt_get_local_host(NULL, &s), "mqtt_get_local_host");
    NULL_HANDLE(mqtt_set_local_host(NULL, "h"), "mqtt_set_local_host");
    NULL_HANDLE(mqtt_get_local_port(NULL, &i), "mqtt_get_local_port");
    NULL_HANDLE(mqtt_set_local_port(NULL, 1), "mqtt_set_local_port");
    NULL_HANDLE(mqtt_get_ready_to_send(NULL, &b), "mqtt_get_ready_to_send");
    NULL_HANDLE(mqtt_get_incoming_message_count(NULL, &i), "mqtt_get_incoming_message_count");
    NULL_HANDLE(mqtt_get_outgoing_message_count(NULL, &i), "mqtt_get_outgoing_message_count");
    mqtt_message *msg = NULL;
    NULL_HANDLE(mqtt_get_incoming_message(NULL, 0, &msg), "mqtt_get_incoming_message");
    NULL_HANDLE(mqtt_get_outgoing_message(NULL, 0, &msg), "mqtt_get_outgoing_message");
    CHECK(msg == NULL);
    NULL_HANDLE(mqtt_interrupt(NULL), "mqtt_interrupt");
    NULL_HANDLE(mqtt_reset(NULL), "mqtt_reset");
    NULL_HANDLE(mqtt_save_session(NULL, &s), "mqtt_save_session");
    NULL_HANDLE(mqtt_restore_session(NULL, ""), "mqtt_restore_session");
    mqtt_delivered d = {7, 7};
    mqtt_message_event *resp = NULL;
    NULL_HANDLE(mqtt_publish_ex(NULL, "a", NULL, 0, NULL, &d), "mqtt_publish_ex");
    NULL_HANDLE(mqtt_request(NULL, "a", NULL, 0, 1000, NULL, &resp), "mqtt_request");
    NULL_HANDLE(mqtt_respond(NULL, NULL, NULL, 0, NULL, &d), "mqtt_respond");
    NULL_HANDLE(mqtt_ack(NULL, 1), "mqtt_ack");
    CHECK(d.packet_id == 7 && d.reason_code == 7 && resp == NULL);
    CHECK(s == NULL); /* out-parameters are untouched on failure */
#undef NULL_HANDLE
}

/* NULL strings, NULL out-parameters and NULL buffers with a length are refused. */
TEST(null_arguments_give_invalid_argument) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_set_client_id(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("mqtt_set_client_id");
    CHECK_CODE(mqtt_get_client_id(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("out-parameter");
    CHECK_CODE(mqtt_get_remote_port(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_get_connected(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_connect_to(m, NULL, 1883), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("host");
    CHECK_CODE(mqtt_subscribe(m, NULL, 0), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_unsubscribe(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_publish_message(m, NULL, 0, "x"), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_publish_message(m, "t", 0, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("message");
    CHECK_CODE(mqtt_publish_data(m, "t", 0, NULL, 5), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("data");
    /* NULL with length 0 is an empty payload: it gets as far as "not connected". */
    CHECK_CODE(mqtt_publish_data(m, "t", 0, NULL, 0), MQTT_ERR_CONNECT_FIRST);
    CHECK_CODE(mqtt_config(m, NULL, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_save_session(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("out-parameter");
    CHECK_CODE(mqtt_restore_session(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("state");
    /* A NULL value pointer is fine for mqtt_config. */
    CHECK_OK(mqtt_config(m, "Retain", NULL));
}

/* The per-message functions: NULL and out-of-range arguments are refused before anything
 * is sent, naming the parameter (an unconnected client would otherwise answer 1117). */
TEST(per_message_bad_arguments_give_invalid_argument) {
    mqtt_t *m = new_client();
    mqtt_publish_options o = MQTT_PUBLISH_OPTIONS_INIT;
    mqtt_delivered d = {7, 7};
    CHECK_CODE(mqtt_publish_ex(m, NULL, NULL, 0, &o, &d), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("topic");
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 3, &o, &d), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("data");
    /* Defaults and NULL options get as far as "not connected". */
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, &d), MQTT_ERR_CONNECT_FIRST);
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, NULL, NULL), MQTT_ERR_CONNECT_FIRST);
    CHECK(d.packet_id == 7 && d.reason_code == 7); /* untouched on failure */

    o.properties.payload_format_indicator = 300;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("opts->properties.payload_format_indicator 300");
    o.properties.payload_format_indicator = -1;
    o.properties.message_expiry_interval = 4294967296LL;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("message_expiry_interval 4294967296");
    o.properties.message_expiry_interval = -2;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    o.properties.message_expiry_interval = -1;
    o.properties.content_type = "bad\xff";
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("opts->properties.content_type");
    o.properties.content_type = NULL;
    o.properties.correlation_data_len = 2;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("opts->properties.correlation_data");
    o.properties.correlation_data_len = 0;
    o.properties.user_properties_len = 1;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("opts->properties.user_properties");
    mqtt_user_property pair = {"name", NULL};
    o.properties.user_properties = &pair;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &o, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("opts->properties.user_properties[0].value");
    /* A struct of zeros asks for topic alias 0: refused, pointing to the initializer. */
    mqtt_publish_options zeros;
    memset(&zeros, 0, sizeof zeros);
    zeros.struct_size = sizeof zeros;
    CHECK_CODE(mqtt_publish_ex(m, "t", NULL, 0, &zeros, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("topic_alias 0");
    CHECK_ERR_HAS("MQTT_MESSAGE_PROPERTIES_INIT");

    mqtt_message_event *resp = NULL;
    CHECK_CODE(mqtt_request(m, "t", NULL, 0, 1000, NULL, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("out-parameter");
    CHECK_CODE(mqtt_request(m, NULL, NULL, 0, 1000, NULL, &resp), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_request(m, "t", NULL, 0, -5, NULL, &resp), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("timeout_ms -5");
    CHECK(resp == NULL);
    CHECK_CODE(mqtt_respond(m, NULL, NULL, 0, NULL, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("request");

    for (int bad = -1; bad <= 0; bad++) {
        CHECK_CODE(mqtt_ack(m, bad), MQTT_ERR_INVALID_ARGUMENT);
    }
    CHECK_CODE(mqtt_ack(m, 65536), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("65536");
    CHECK_CODE(mqtt_ack(m, 1), MQTT_ERR_CONNECT_FIRST);
    mqtt_message_event_free(NULL);
}

TEST(free_and_string_free_accept_null) {
    mqtt_free(NULL);
    mqtt_string_free(NULL);
    mqtt_t *m = mqtt_new();
    CHECK(m != NULL);
    mqtt_free(m);
}

TEST(invalid_utf8_is_refused) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_set_client_id(m, "bad\xff\xfe"), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("UTF-8");
    char *id = NULL;
    CHECK_OK(mqtt_get_client_id(m, &id));
    CHECK_STR(id, "");
    mqtt_string_free(id);
}

TEST(property_set_and_get) {
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_client_id(m, "c-client-\xc3\xa9")); /* UTF-8 passes through */
    CHECK_STR(get_str(mqtt_get_client_id, m), "c-client-\xc3\xa9");
    CHECK_OK(mqtt_set_clean_session(m, false));
    CHECK(get_bool(mqtt_get_clean_session, m) == false);
    CHECK_OK(mqtt_set_keep_alive_interval(m, 65535));
    CHECK_INT(get_int(mqtt_get_keep_alive_interval, m), 65535);
    CHECK_OK(mqtt_set_user(m, "alice"));
    CHECK_STR(get_str(mqtt_get_user, m), "alice");
    CHECK_OK(mqtt_set_password(m, "s3cret"));
    CHECK_STR(get_str(mqtt_get_password, m), "s3cret");
    CHECK_OK(mqtt_set_version(m, MQTT_VERSION_5));
    CHECK_INT(get_int(mqtt_get_version, m), MQTT_VERSION_5);
    CHECK_OK(mqtt_set_remote_host(m, "broker.example"));
    CHECK_STR(get_str(mqtt_get_remote_host, m), "broker.example");
    CHECK_OK(mqtt_set_remote_port(m, 65535));
    CHECK_INT(get_int(mqtt_get_remote_port, m), 65535);
    CHECK_OK(mqtt_set_timeout(m, 0));
    CHECK_INT(get_int(mqtt_get_timeout, m), 0);
    CHECK_OK(mqtt_set_will_topic(m, "wills/c"));
    CHECK_STR(get_str(mqtt_get_will_topic, m), "wills/c");
    CHECK_OK(mqtt_set_will_message(m, "gone"));
    CHECK_STR(get_str(mqtt_get_will_message, m), "gone");
    /* Input strings are copied: changing the caller's buffer afterwards changes nothing. */
    char buf[16];
    strcpy(buf, "first");
    CHECK_OK(mqtt_set_user(m, buf));
    strcpy(buf, "XXXXX");
    CHECK_STR(get_str(mqtt_get_user, m), "first");
    /* Disconnecting while not connected is not an error. */
    CHECK_OK(mqtt_set_connected(m, false));
    CHECK_OK(mqtt_disconnect(m));
}

TEST(property_range_errors) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_set_remote_port(m, 0), MQTT_ERR_REMOTE_PORT_ZERO);
    CHECK_INT(mqtt_last_error_code(), 116);
    CHECK_ERR_HAS("RemotePort");
    CHECK_CODE(mqtt_set_remote_port(m, 65536), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("65536");
    CHECK_CODE(mqtt_set_remote_port(m, -1), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_INT(get_int(mqtt_get_remote_port, m), 1883); /* a refused value changes nothing */
    CHECK_CODE(mqtt_set_keep_alive_interval(m, -1), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_set_keep_alive_interval(m, 65536), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("KeepAliveInterval");
    CHECK_INT(get_int(mqtt_get_keep_alive_interval, m), 0);
    CHECK_CODE(mqtt_set_version(m, 2), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_set_version(m, -1), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("Version");
    CHECK_CODE(mqtt_set_timeout(m, -1), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_INT(get_int(mqtt_get_timeout, m), 15);
    CHECK_CODE(mqtt_set_will_topic(m, "wills/+"), MQTT_ERR_INVALID_TOPIC);
    CHECK_CODE(mqtt_connect_to(m, "127.0.0.1", 0), MQTT_ERR_REMOTE_PORT_ZERO);
}

TEST(config_get_set) {
    mqtt_t *m = new_client();
    CHECK_STR(config_get(m, "TopicDelimiter"), ",");
    CHECK_STR(config_get(m, "Retain"), "False");
    CHECK_STR(config_get(m, "LogLevel"), "1");
    CHECK_STR(config_get(m, "TopicQOSArray"), "");
    /* A write returns "" through the out-parameter. */
    char *v = NULL;
    CHECK_OK(mqtt_config(m, "Retain=true", &v));
    CHECK_STR(v, "");
    mqtt_string_free(v);
    CHECK_STR(config_get(m, "Retain"), "True");
    CHECK_OK(mqtt_config(m, "TopicDelimiter=;", NULL));
    CHECK_STR(config_get(m, "topicdelimiter"), ";"); /* names ignore case */
    CHECK_OK(mqtt_config(m, "TopicQOSArray=0,1,2", NULL));
    CHECK_STR(config_get(m, "TopicQOSArray"), "0,1,2");
    CHECK_OK(mqtt_config(m, "WillQOS=2", NULL));
    CHECK_STR(config_get(m, "WillQOS"), "2");
    /* Every setting the engine documents today can be read. */
    const char *names[] = {"TopicDelimiter", "TopicQOSArray", "Retain", "Duplicate",
                           "LogLevel", "WillQOS", "WillRetain", "RepublishInterval",
                           "ConnectionTimeout", "OutgoingPacketId", "SessionPresent",
                           "TcpNoDelay"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        v = NULL;
        CHECK_CODE(mqtt_config(m, names[i], &v), MQTT_OK);
        CHECK(v != NULL);
        mqtt_string_free(v);
    }
}

TEST(config_errors) {
    mqtt_t *m = new_client();
    char *v = NULL;
    CHECK_CODE(mqtt_config(m, "NoSuchSetting", &v), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("NoSuchSetting");
    CHECK(v == NULL);
    CHECK_CODE(mqtt_config(m, "NoSuchSetting=1", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_config(m, "LogLevel=9", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("LogLevel");
    CHECK_CODE(mqtt_config(m, "Retain=maybe", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_config(m, "WillQOS=3", NULL), MQTT_ERR_INVALID_QOS);
    CHECK_CODE(mqtt_config(m, "OutgoingPacketId=5", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("read-only");
    CHECK_CODE(mqtt_config(m, "TopicDelimiter=", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_STR(config_get(m, "TopicDelimiter"), ",");
}

/* Errors raised by the engine reach C with their documented code. */
TEST(error_codes_reach_c) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_connect(m), MQTT_ERR_INVALID_ADDRESS);          /* no RemoteHost */
    CHECK_ERR_HAS("RemoteHost");
    CHECK_CODE(mqtt_subscribe(m, "a/b", 0), MQTT_ERR_CONNECT_FIRST);
    CHECK_CODE(mqtt_unsubscribe(m, "a/b"), MQTT_ERR_CONNECT_FIRST);
    CHECK_CODE(mqtt_publish_message(m, "a/b", 0, "x"), MQTT_ERR_CONNECT_FIRST);
    CHECK_CODE(mqtt_publish_message(m, "a/b", 3, "x"), MQTT_ERR_INVALID_QOS);
    CHECK_ERR_HAS("3");
    CHECK_CODE(mqtt_publish_message(m, "a/#", 0, "x"), MQTT_ERR_INVALID_TOPIC);
    CHECK_CODE(mqtt_subscribe(m, "a,,b", 0), MQTT_ERR_INVALID_TOPIC_FILTER);
    CHECK_CODE(mqtt_set_clean_session(m, false), MQTT_OK);
    CHECK_OK(mqtt_set_remote_host(m, "127.0.0.1"));
    CHECK_CODE(mqtt_connect(m), MQTT_ERR_INVALID_ARGUMENT); /* no ClientId for a stored session */
    CHECK_ERR_HAS("ClientId");
    CHECK_OK(mqtt_do_events(m)); /* nothing to do: returns after a short wait */
}

TEST(last_error_survives_success_and_is_stable) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_set_remote_port(m, 0), MQTT_ERR_REMOTE_PORT_ZERO);
    const char *msg = mqtt_last_error();
    char *copy = t_strdup(msg);
    CHECK_OK(mqtt_set_remote_port(m, 1884));
    CHECK_OK(mqtt_config(m, "Retain", NULL));
    CHECK_INT(mqtt_last_error_code(), MQTT_ERR_REMOTE_PORT_ZERO);
    CHECK(mqtt_last_error() == msg); /* same storage until the next failure */
    CHECK_STR(mqtt_last_error(), copy);
}

typedef struct { int code; char msg[256]; } thread_seen;

static void *other_thread(void *arg) {
    thread_seen *seen = arg;
    /* A new thread starts with no error, whatever the main thread did. */
    seen->code = mqtt_last_error_code();
    snprintf(seen->msg, sizeof seen->msg, "%s", mqtt_last_error());
    mqtt_set_version(NULL, 1); /* fails here; must not disturb the main thread */
    return NULL;
}

TEST(last_error_is_per_thread) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_set_version(m, 7), MQTT_ERR_INVALID_ARGUMENT);
    char *mine = t_strdup(mqtt_last_error());
    thread_seen seen = {-1, "x"};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, other_thread, &seen) == 0);
    pthread_join(th, NULL);
    CHECK_INT(seen.code, 0);
    CHECK_STR(seen.msg, "");
    CHECK_STR(mqtt_last_error(), mine);
}

static void dummy_message(mqtt_t *m, const mqtt_message_event *e, void *ud) { (void)m; (void)e; (void)ud; }
static void dummy_notify(void *ud) { (void)ud; }

TEST(callback_registration) {
    mqtt_t *m = new_client();
    rec *r = new_rec();
    rec_attach(m, r); /* registers every event */
    CHECK_OK(mqtt_on_message_in(m, dummy_message, NULL));  /* replace */
    CHECK_OK(mqtt_on_message_in(m, NULL, NULL));           /* remove */
    CHECK_OK(mqtt_on_ssl_server_authentication(m, NULL, NULL));
    CHECK_OK(mqtt_on_ssl_status(m, NULL, NULL));
    CHECK_OK(mqtt_set_event_notifier(m, dummy_notify, NULL));
    CHECK_OK(mqtt_set_event_notifier(m, NULL, NULL));
}

TEST(library_version) {
    const char *v = mqtt_library_version();
    CHECK(v != NULL && strlen(v) >= 5 && strchr(v, '.') != NULL);
}
