#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mqtt.h"

static void on_message_in(mqtt_t *m, const mqtt_message_event *e, void *user_data) {
  (void)m;
  printf("%s: %.*s\n", e->topic, (int)e->message_len, e->message);
  *(int *)user_data = 1;
}

int main(void) {
  const char *broker = getenv("MQTT_BROKER") ? getenv("MQTT_BROKER") : "127.0.0.1:1883";
  char host[256];
  snprintf(host, sizeof host, "%.*s", (int)(strrchr(broker, ':') - broker), broker);
  int got = 0;

  mqtt_t *m = mqtt_new();
  mqtt_on_message_in(m, on_message_in, &got);
  if (mqtt_connect_to(m, host, atoi(strrchr(broker, ':') + 1)) != MQTT_OK) {
    fprintf(stderr, "connect failed: %s\n", mqtt_last_error());
    return 1;
  }
  mqtt_subscribe(m, "sensors/#", 1);
  mqtt_publish_message(m, "sensors/t1", 1, "21.5");
  while (!got) mqtt_do_events(m); /* callbacks fire here, and inside every blocking call */
  mqtt_disconnect(m);
  mqtt_free(m);
  return 0;
}
