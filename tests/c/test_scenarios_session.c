/* The scenarios of tests/scenarios.tsv that came with issue 4 and need a mosquitto of their
 * own (frozen, killed, restarted): session_save_restore, session_auto_save, session_errors,
 * auto_reconnect. */
#define _GNU_SOURCE
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int outgoing_count(const mqtt_t *m) { return get_int(mqtt_get_outgoing_message_count, m); }

/* The whole file, NUL-terminated (freed when the test ends). */
static char *read_whole(const char *path) {
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    char *buf = t_malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* mqtt_save_session, copied (freed when the test ends). */
static char *save_session(mqtt_t *m) {
    char *text = NULL;
    CHECK_OK(mqtt_save_session(m, &text));
    CHECK(text != NULL);
    char *copy = t_strdup(text);
    mqtt_string_free(text);
    return copy;
}

static void free_handle(void *m) { mqtt_free(m); }

/* Connect a client with CleanSession false to the private broker, freeze the broker, publish
 * `n` messages "m0".."m<n-1>" at `qos` (none can be acknowledged), save the session (also to
 * `file` unless it is NULL), and destroy the client without a goodbye. Returns the text. */
static char *unacknowledged(private_broker *b, const char *id, const char *topic, int qos,
                            int n, const char *file) {
    mqtt_t *m = mqtt_new();
    CHECK(m != NULL);
    t_defer(free_handle, m);
    CHECK_OK(mqtt_set_timeout(m, 5));
    CHECK_OK(mqtt_set_client_id(m, id));
    CHECK_OK(mqtt_set_clean_session(m, false));
    if (file) {
        char setting[600];
        snprintf(setting, sizeof setting, "SessionStateFile=%s", file);
        CHECK_OK(mqtt_config(m, setting, NULL));
    }
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", broker_port_of(b)));
    broker_pause(b);
    char text[16];
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text, "m%d", i);
        CHECK_OK(mqtt_publish_message(m, topic, qos, text));
    }
    CHECK_MSG(outgoing_count(m) == n, "%d of %d wait for their acknowledgement",
              outgoing_count(m), n);
    char *saved = save_session(m);
    t_forget(m);
    mqtt_free(m);
    return saved;
}

static char *unique_id(const char *label) {
    char id[64];
    snprintf(id, sizeof id, "c-%s-%d-%06x", label, (int)getpid(), (unsigned)rand() & 0xffffff);
    return t_strdup(id);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- session_save_restore ---- */

static void save_restore_at(int qos) {
    private_broker *b = broker_start();
    const char *topic = unique_topic("session");
    const char *id = unique_id("session");
    const char *file = broker_file(b, "session.json");
    char *text = unacknowledged(b, id, topic, qos, 5, file);
    CHECK_MSG(strstr(text, "ferromq-session") != NULL, "SaveSession gave %s", text);
    CHECK_STR(read_whole(file), text); /* the file holds the same text */
    broker_restart(b);                 /* no persistence: the broker forgot everything */

    rec *wr = new_rec();
    mqtt_t *watcher = new_client();
    rec_attach(watcher, wr);
    CHECK_OK(mqtt_connect_to(watcher, "127.0.0.1", broker_port_of(b)));
    CHECK_OK(mqtt_subscribe(watcher, topic, 2));

    /* A new client object, as in a new process: it knows only the file (the string passed
     * is ignored when SessionStateFile is set). */
    rec *r = new_rec();
    mqtt_t *again = new_client();
    rec_attach(again, r);
    CHECK_OK(mqtt_set_client_id(again, id));
    char setting[600];
    snprintf(setting, sizeof setting, "SessionStateFile=%s", file);
    CHECK_OK(mqtt_config(again, setting, NULL));
    CHECK(get_bool(mqtt_get_clean_session, again));
    CHECK_OK(mqtt_restore_session(again, "not a session: the file wins"));
    CHECK_MSG(!get_bool(mqtt_get_clean_session, again), "RestoreSession sets CleanSession false");
    CHECK_INT(outgoing_count(again), 5);
    for (int i = 0; i < 5; i++) {
        mqtt_message *msg = NULL;
        CHECK_OK(mqtt_get_outgoing_message(again, i, &msg));
        char want[16];
        snprintf(want, sizeof want, "m%d", i);
        bool same = strcmp(msg->topic, topic) == 0 && msg->qos == qos &&
                    strcmp(msg->message, want) == 0 && msg->packet_id > 0;
        mqtt_message_free(msg);
        CHECK_MSG(same, "OutgoingMessages[%d] is not %s at QoS %d", i, want, qos);
    }

    CHECK_OK(mqtt_connect_to(again, "127.0.0.1", broker_port_of(b)));
    CHECK_MSG(wait_count(again, &r->out, 5, 15), "%d of 5 MessageOut", r->out);
    CHECK_INT(outgoing_count(again), 0);

    CHECK_MSG(wait_count(watcher, &wr->in, 5, 15), "%d of 5 arrived", wr->in);
    pump(watcher, 0.3);
    CHECK_INT(wr->in, 5);
    char *texts[5];
    for (int i = 0; i < 5; i++) texts[i] = wr->msg_in[i].text;
    qsort(texts, 5, sizeof texts[0], cmp_str);
    for (int i = 0; i < 5; i++) {
        char want[16];
        snprintf(want, sizeof want, "m%d", i);
        CHECK_MSG(strcmp(texts[i], want) == 0, "QoS %d: message %d is \"%s\"", qos, i, texts[i]);
    }
    CHECK_OK(mqtt_disconnect(again));
    CHECK_OK(mqtt_disconnect(watcher));
}

TEST(scenario_session_save_restore) {
    save_restore_at(1);
    save_restore_at(2);
}

/* ---- session_auto_save ---- */

static void remove_file(void *path) { unlink((const char *)path); }

/* A path in the temporary directory no other test uses (nothing is created); the file is
 * removed when the test ends, pass or fail. */
static const char *temp_file(const char *label) {
    char path[256];
    snprintf(path, sizeof path, "/tmp/ferromq-c-%s-%d-%06x", label, (int)getpid(),
             (unsigned)rand() & 0xffffff);
    char *copy = t_strdup(path);
    t_defer(remove_file, copy);
    return copy;
}

TEST(scenario_session_auto_save) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_config(m, "SessionAutoSave=3", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("3");

    /* On without a file: Connect says which setting is missing. */
    CHECK_OK(mqtt_set_timeout(m, 5));
    CHECK_OK(mqtt_config(m, "SessionAutoSave=1", NULL));
    CHECK_CODE(mqtt_connect_to(m, broker_host(), broker_port("FERROMQ_TEST_PORT")),
               MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("SessionStateFile");

    /* Every change is in the file, and so is the count of publishes. */
    const char *file = temp_file("autosave");
    const char *id = unique_id("autosave");
    char setting[600];
    snprintf(setting, sizeof setting, "SessionStateFile=%s", file);
    CHECK_OK(mqtt_set_client_id(m, id));
    CHECK_OK(mqtt_set_clean_session(m, false));
    CHECK_OK(mqtt_config(m, setting, NULL));
    CHECK_OK(mqtt_connect_to(m, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    const char *topic = unique_topic("autosave");
    char text[16];
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "m%d", i);
        CHECK_OK(mqtt_publish_message(m, topic, 1, text));
    }
    double deadline = now_s() + 5;
    do {
        CHECK_OK(mqtt_do_events(m));
    } while (outgoing_count(m) > 0 && now_s() < deadline);
    CHECK_MSG(outgoing_count(m) == 0, "%d publishes still unacknowledged", outgoing_count(m));
    CHECK_STR(config_get(m, "SessionPublishCount"), "3");
    CHECK_CODE(mqtt_config(m, "SessionPublishCount=0", NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_OK(mqtt_disconnect(m));
    CHECK_MSG(access(file, R_OK) == 0, "%s was not written", file);

    /* A new client object, as in a new process: it knows only the file. */
    mqtt_t *again = new_client();
    CHECK_OK(mqtt_config(again, setting, NULL));
    CHECK_OK(mqtt_restore_session(again, ""));
    CHECK_STR(config_get(again, "SessionPublishCount"), "3");
    CHECK_INT(outgoing_count(again), 0);

    /* A file still holding unacknowledged messages is not overwritten unless restored. */
    private_broker *b = broker_start();
    const char *held = temp_file("autosave-held");
    unacknowledged(b, id, topic, 1, 2, held);
    broker_resume(b);
    mqtt_t *other = new_client();
    CHECK_OK(mqtt_set_timeout(other, 5));
    snprintf(setting, sizeof setting, "SessionStateFile=%s", held);
    CHECK_OK(mqtt_config(other, setting, NULL));
    CHECK_OK(mqtt_config(other, "SessionAutoSave=1", NULL));
    CHECK_CODE(mqtt_connect_to(other, "127.0.0.1", broker_port_of(b)), MQTT_ERR_BAD_STATE);
    CHECK_ERR_HAS("RestoreSession");
}

/* ---- session_errors ---- */

TEST(scenario_session_errors) {
    private_broker *b = broker_start();
    const char *text = unacknowledged(b, unique_id("serr"), unique_topic("serr"), 1, 2, NULL);

    /* Texts that are not a saved session: each refused, nothing loaded, nothing changed. */
    size_t len = strlen(text);
    char *truncated = t_strdup(text);
    truncated[len / 2] = 0;
    char *corrupted = t_strdup(text);
    char *q = strstr(corrupted, "\"qos\":1");
    CHECK_MSG(q != NULL, "no \"qos\":1 in %s", text);
    q[6] = '2';
    char *altered = t_strdup(text); /* one character of a topic changed: checksum */
    char *t = strstr(altered, "ferromq/ctest/");
    CHECK(t != NULL);
    t[0] = 'F';
    const char *bad[] = {"", "   ", truncated, corrupted, altered, "{}"};
    mqtt_t *m = new_client();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(strcmp(bad[i], text) != 0);
        int rc = mqtt_restore_session(m, bad[i]);
        CHECK_MSG(rc == MQTT_ERR_INVALID_ARGUMENT, "bad text %zu: %d (%s)", i, rc,
                  rc ? mqtt_last_error() : "accepted");
        CHECK_ERR_HAS("nothing was loaded");
        CHECK_INT(outgoing_count(m), 0);
        CHECK_INT(get_int(mqtt_get_incoming_message_count, m), 0);
        CHECK_MSG(get_bool(mqtt_get_clean_session, m), "a refused restore changed CleanSession");
    }
    CHECK_CODE(mqtt_restore_session(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("state");

    /* SessionStateFile naming a missing file: 302, naming it (the file wins over the text). */
    const char *missing = broker_file(b, "no-such-session.json");
    char setting[600];
    snprintf(setting, sizeof setting, "SessionStateFile=%s", missing);
    CHECK_OK(mqtt_config(m, setting, NULL));
    CHECK_CODE(mqtt_restore_session(m, text), MQTT_ERR_FILE);
    CHECK_ERR_HAS(missing);
    CHECK(get_bool(mqtt_get_clean_session, m));
    CHECK_INT(outgoing_count(m), 0);

    /* While connected: 211, nothing loaded. */
    mqtt_t *c = connected_client(NULL, MQTT_VERSION_311);
    CHECK_CODE(mqtt_restore_session(c, text), MQTT_ERR_BAD_STATE);
    CHECK(get_bool(mqtt_get_clean_session, c));
    CHECK_INT(outgoing_count(c), 0);
    CHECK_OK(mqtt_disconnect(c));

    /* The same text is good: without the file setting it loads. */
    CHECK_OK(mqtt_config(m, "SessionStateFile=", NULL));
    CHECK_OK(mqtt_restore_session(m, text));
    CHECK_INT(outgoing_count(m), 2);
    CHECK(!get_bool(mqtt_get_clean_session, m));
}

/* ---- auto_reconnect ---- */

typedef struct {
    int ok, failed;           /* Connected events by outcome */
    int reconnect_logs, resubscribe_logs;
} reconnect_state;

static void rc_on_connected(mqtt_t *m, const mqtt_connected_event *e, void *ud) {
    (void)m;
    reconnect_state *s = ud;
    if (e->status_code == 0) s->ok++; else s->failed++;
}

static void rc_on_log(mqtt_t *m, const mqtt_log_event *e, void *ud) {
    (void)m;
    reconnect_state *s = ud;
    if (strcmp(e->log_type, "Reconnect") != 0) return;
    s->reconnect_logs++;
    if (strstr(e->message, "subscribing again to 1 filter")) s->resubscribe_logs++;
}

TEST(scenario_auto_reconnect) {
    private_broker *b = broker_start();
    rec *r = new_rec();
    reconnect_state s = {0, 0, 0, 0};
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_on_connected(m, rc_on_connected, &s));
    CHECK_OK(mqtt_on_log(m, rc_on_log, &s));
    CHECK_OK(mqtt_config(m, "AutoReconnect=true", NULL));
    CHECK_OK(mqtt_config(m, "ReconnectMinDelay=100", NULL));
    CHECK_OK(mqtt_config(m, "ReconnectMaxDelay=400", NULL));
    CHECK_OK(mqtt_config(m, "OfflineQueueLimit=3", NULL));
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", broker_port_of(b)));
    const char *topic = unique_topic("reconnect");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    CHECK_INT(s.ok, 1);

    broker_kill(b);
    CHECK_MSG(wait_count(m, &r->disconnected, 1, 10), "no Disconnected after the broker died");
    CHECK(r->disconnected_status != 0);
    CHECK(!get_bool(mqtt_get_connected, m));
    char text[32];
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "while away %d", i);
        CHECK_OK(mqtt_publish_message(m, topic, 1, text));
    }
    /* OfflineQueueLimit 3: the fourth is refused, naming the limit. */
    CHECK_CODE(mqtt_publish_message(m, topic, 1, "one too many"), MQTT_ERR_NOT_CONNECTED);
    CHECK_ERR_HAS("OfflineQueueLimit");
    broker_restart(b);

    /* The restarted broker has no session: the subscription is made again, and the three
     * queued messages come back through it, in order. */
    CHECK_MSG(wait_count(m, &r->in, 3, 20), "%d of 3 arrived (connected %d, failed %d)", r->in,
              s.ok, s.failed);
    pump(m, 0.3);
    CHECK_INT(r->in, 3);
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "while away %d", i);
        CHECK_STR(r->msg_in[i].text, text);
        CHECK_STR(r->msg_in[i].topic, topic);
    }
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_INT(s.ok, 2);
    CHECK_MSG(s.reconnect_logs >= 2, "%d Log events of type Reconnect", s.reconnect_logs);
    CHECK_INT(s.resubscribe_logs, 1);

    /* The application's own Disconnect is final. */
    CHECK_OK(mqtt_disconnect(m));
    pump(m, 0.6);
    CHECK(!get_bool(mqtt_get_connected, m));
    CHECK_INT(s.ok, 2);
}
