/*
 * scenario_event_description for the C face. The structs themselves are checked against
 * the core's description by ffi-c/tests/description.rs (every described event and message
 * field is in include/mqtt.h with its value kind's C type); here the events of a real
 * exchange carry the values the core made, and a 301 carries the core's text.
 */
#include <stdio.h>
#include <string.h>

#include "runner.h"

static int got_listener = -1;

static int check_listener(mqtt_t *m, void *ud) {
    (void)m;
    (void)ud;
    /* Ends the wait once the attempt reached the listener: from inside the wait, so the
     * interrupt cannot land before it began. */
    return listener_got_connection(got_listener) ? 1 : 0;
}

TEST(scenario_event_description) {
    rec *r = new_rec();
    mqtt_t *m = connected_client(r, 0);
    const char *topic = unique_topic("description");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    CHECK(wait_count(m, &r->subscribed, 1, 10));
    CHECK_STR(r->subs[0].topic_filter, topic);
    CHECK_INT(r->subs[0].qos, 1);
    CHECK_OK(mqtt_publish_message(m, topic, 1, "described"));
    CHECK(wait_count(m, &r->in, 1, 10));
    CHECK(wait_count(m, &r->out, 1, 10));
    CHECK(wait_count(m, &r->acks, 2, 10));
    /* MessageIn / MessageOut: every described field (the payload as text and bytes). */
    const rec_msg *in = &r->msg_in[0];
    CHECK_STR(in->topic, topic);
    CHECK_INT(in->qos, 1);
    CHECK(in->packet_id > 0);
    CHECK_INT(in->len, 9);
    CHECK(memcmp(in->data, "described", 9) == 0);
    CHECK_INT(in->text_len, 9);
    CHECK_STR(in->text, "described");
    CHECK(!in->retained && !in->duplicate);
    CHECK_STR(r->msg_out[0].topic, topic);
    CHECK_INT(r->msg_out[0].len, 9);
    /* MessageAck: both directions, each with its packet id. */
    bool dir[2] = {false, false};
    for (int i = 0; i < r->acks && i < REC_MAX; i++) {
        CHECK(r->ack[i].direction == 0 || r->ack[i].direction == 1);
        CHECK(r->ack[i].packet_id > 0);
        dir[r->ack[i].direction] = true;
    }
    CHECK(dir[0] && dir[1]);
    CHECK_OK(mqtt_disconnect(m));
    CHECK(wait_count(m, &r->disconnected, 1, 10));
    CHECK_INT(r->connected_status, 0);
    CHECK_INT(r->disconnected_status, 0);

    /* A connect interrupted while it waits for a silent listener: 301, the core's text. */
    int port = 0;
    got_listener = silent_listener(&port);
    mqtt_t *w = new_client();
    CHECK_OK(mqtt_set_timeout(w, 30));
    CHECK_OK(mqtt_set_wait_check(w, check_listener, NULL));
    CHECK_CODE(mqtt_connect_to(w, "127.0.0.1", port), MQTT_ERR_INTERRUPTED);
    CHECK_STR(mqtt_last_error(), "interrupted while connecting");
    CHECK_OK(mqtt_set_wait_check(w, NULL, NULL));
}
