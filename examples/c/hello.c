/* hello: connect, subscribe to a topic of our own, publish "hello from c" at QoS 1, print it
 * when it comes back, disconnect. Exit 0 only if the message arrived. Along the way it shows
 * a MessageAck callback finding its message in the in-flight collections.
 *
 *   MQTT_BROKER=host:port examples/c/run hello        (default 127.0.0.1:1883)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mqtt.h"

typedef struct {
    const char *topic;
    int received;
} hello_state;

/* Fires on this thread, inside mqtt_do_events (or a blocking call). The event's strings are
 * only valid during the callback, so print them here. */
static void on_message_in(mqtt_t *m, const mqtt_message_event *e, void *user_data) {
    (void)m;
    hello_state *s = user_data;
    printf("received on %s (QoS %d): %.*s\n", e->topic, e->qos, (int)e->message_len, e->message);
    if (strcmp(e->topic, s->topic) == 0) s->received = 1;
}

/* Fires when a QoS 1/2 message finished its acknowledgements; while it runs, the message is
 * still in OutgoingMessages (direction 0) or IncomingMessages (direction 1) at e->index. The
 * library allocates the copy; it is ours until mqtt_message_free. */
static void on_message_ack(mqtt_t *m, const mqtt_message_ack_event *e, void *user_data) {
    (void)user_data;
    mqtt_message *msg = NULL;
    int rc = e->direction == 0 ? mqtt_get_outgoing_message(m, e->index, &msg)
                               : mqtt_get_incoming_message(m, e->index, &msg);
    if (rc != MQTT_OK) return;
    printf("acknowledged %s message %d (QoS %d, state %d): %.*s\n",
           e->direction == 0 ? "outgoing" : "incoming", msg->packet_id, msg->qos, msg->state,
           (int)msg->message_len, msg->message);
    mqtt_message_free(msg);
}

/* Prints what went wrong and says whether it did. */
static int failed(int code, const char *what) {
    if (code == MQTT_OK) return 0;
    fprintf(stderr, "hello: %s failed: [%d] %s\n", what, code, mqtt_last_error());
    return 1;
}

int main(void) {
    const char *broker = getenv("MQTT_BROKER");
    if (!broker || !*broker) broker = "127.0.0.1:1883";
    char host[256];
    const char *colon = strrchr(broker, ':');
    if (!colon || colon == broker || (size_t)(colon - broker) >= sizeof host) {
        fprintf(stderr, "hello: MQTT_BROKER=%s is not host:port\n", broker);
        return 2;
    }
    memcpy(host, broker, (size_t)(colon - broker));
    host[colon - broker] = 0;
    int port = atoi(colon + 1);

    char topic[128];
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(topic, sizeof topic, "ferromq/hello/c/%d-%06x", (int)getpid(), (unsigned)rand() & 0xffffff);
    hello_state state = {topic, 0};

    mqtt_t *m = mqtt_new();
    if (!m) return failed(MQTT_ERR_BAD_STATE, "mqtt_new");
    int rc = 1;
    if (failed(mqtt_on_message_in(m, on_message_in, &state), "registering MessageIn") ||
        failed(mqtt_on_message_ack(m, on_message_ack, NULL), "registering MessageAck") ||
        failed(mqtt_set_timeout(m, 10), "setting Timeout") ||
        failed(mqtt_connect_to(m, host, port), "connecting") ||
        failed(mqtt_subscribe(m, topic, 1), "subscribing") ||
        failed(mqtt_publish_message(m, topic, 1, "hello from c"), "publishing"))
        goto out;
    int local_port = 0;
    mqtt_get_local_port(m, &local_port);
    printf("connected to %s:%d from local port %d, published to %s\n", host, port, local_port,
           topic);

    time_t deadline = time(NULL) + 10;
    while (!state.received && time(NULL) < deadline) mqtt_do_events(m);
    if (!state.received) {
        fprintf(stderr, "hello: the message did not come back within 10 s\n");
        goto out;
    }
    if (failed(mqtt_disconnect(m), "disconnecting")) goto out;
    rc = 0;
out:
    mqtt_free(m); /* also fine while still connected: the connection is aborted */
    return rc;
}
