/* The C peer of the cross-language exchange; tests/cross/README.md has the contract.
 *
 *   MQTT_BROKER=host:port examples/c/run peer NAME RUN_ID rust,c,python,node
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqtt.h"

#define MAX_PEERS 16

typedef struct {
    const char *name;
    int count;
    char *names[MAX_PEERS];
    bool heard[MAX_PEERS];
} peer_state;

static void on_message_in(mqtt_t *m, const mqtt_message_event *e, void *user_data) {
    (void)m;
    peer_state *s = user_data;
    const char *slash = strrchr(e->topic, '/');
    const char *from = slash ? slash + 1 : e->topic;
    printf("[%s] got \"%.*s\" from %s\n", s->name, (int)e->message_len, e->message, from);
    fflush(stdout);
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->names[i], from) == 0) s->heard[i] = true;
}

static bool heard_all(const peer_state *s) {
    for (int i = 0; i < s->count; i++)
        if (!s->heard[i]) return false;
    return true;
}

static int fail(const char *what, int code) {
    fprintf(stderr, "peer: %s failed: [%d] %s\n", what, code, mqtt_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: peer NAME RUN_ID EXPECTED (with MQTT_BROKER=host:port)\n");
        return 2;
    }
    const char *name = argv[1], *run_id = argv[2];
    peer_state s = {name, 0, {0}, {0}};
    char *expected = strdup(argv[3]);
    for (char *tok = strtok(expected, ","); tok && s.count < MAX_PEERS; tok = strtok(NULL, ","))
        if (*tok) s.names[s.count++] = tok;

    const char *broker = getenv("MQTT_BROKER");
    if (!broker || !*broker) broker = "127.0.0.1:1883";
    char host[256];
    const char *colon = strrchr(broker, ':');
    if (!colon || colon == broker || (size_t)(colon - broker) >= sizeof host) {
        fprintf(stderr, "peer: MQTT_BROKER=%s is not host:port\n", broker);
        free(expected);
        return 2;
    }
    memcpy(host, broker, (size_t)(colon - broker));
    host[colon - broker] = 0;

    char client_id[256], filter[256], topic[256], text[256];
    snprintf(client_id, sizeof client_id, "ferromq-peer-%s-%s", name, run_id);
    snprintf(filter, sizeof filter, "ferromq/xlang/%s/+", run_id);
    snprintf(topic, sizeof topic, "ferromq/xlang/%s/%s", run_id, name);
    snprintf(text, sizeof text, "hello from %s", name);

    mqtt_t *m = mqtt_new();
    int rc = 1, code;
    if ((code = mqtt_on_message_in(m, on_message_in, &s))) { rc = fail("registering", code); goto out; }
    if ((code = mqtt_set_client_id(m, client_id))) { rc = fail("ClientId", code); goto out; }
    if ((code = mqtt_set_version(m, MQTT_VERSION_311))) { rc = fail("Version", code); goto out; }
    if ((code = mqtt_set_clean_session(m, true))) { rc = fail("CleanSession", code); goto out; }
    if ((code = mqtt_connect_to(m, host, atoi(colon + 1)))) { rc = fail("connecting", code); goto out; }
    if ((code = mqtt_subscribe(m, filter, 1))) { rc = fail("subscribing", code); goto out; }
    /* Retained, so a peer that subscribes after us still hears it. */
    if ((code = mqtt_config(m, "Retain=true", NULL))) { rc = fail("Retain", code); goto out; }
    if ((code = mqtt_publish_message(m, topic, 1, text))) { rc = fail("publishing", code); goto out; }

    time_t deadline = time(NULL) + 20;
    while (!heard_all(&s) && time(NULL) < deadline) mqtt_do_events(m);
    if (heard_all(&s)) {
        printf("[%s] heard all %d peers\n", name, s.count);
        fflush(stdout);
        mqtt_disconnect(m);
        rc = 0;
    } else {
        printf("[%s] missing: ", name);
        bool first = true;
        for (int i = 0; i < s.count; i++) {
            if (s.heard[i]) continue;
            printf("%s%s", first ? "" : ",", s.names[i]);
            first = false;
        }
        printf("\n");
        fflush(stdout);
    }
out:
    mqtt_free(m);
    free(expected);
    return rc;
}
