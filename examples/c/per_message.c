/* MQTT 5.0 per message: options given with each publish, its acknowledgement awaited,
 * the properties of a received message, and request/response.
 *
 *     MQTT_BROKER=127.0.0.1:1883 examples/c/run per_message
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mqtt.h"

/* A responder: answers each request on its ResponseTopic with its CorrelationData. */
static void on_request(mqtt_t *m, const mqtt_message_event *e, void *user_data) {
  (void)user_data;
  const mqtt_message_properties *p = e->properties;
  printf("request \"%s\", %zu user properties", e->message, p->user_properties_len);
  for (size_t i = 0; i < p->user_properties_len; i++)
    printf(" %s=%s", p->user_properties[i].name, p->user_properties[i].value);
  printf("\n");
  mqtt_respond(m, e, (const uint8_t *)"12:00", 5, NULL, NULL);
}

static atomic_bool stop;
static void *serve(void *responder) {
  while (!atomic_load(&stop)) mqtt_do_events(responder);
  return NULL;
}

static int fail(const char *what) {
  fprintf(stderr, "%s: [%d] %s\n", what, mqtt_last_error_code(), mqtt_last_error());
  return 1;
}

int main(void) {
  const char *broker = getenv("MQTT_BROKER") ? getenv("MQTT_BROKER") : "127.0.0.1:1883";
  char host[256], service[64];
  snprintf(host, sizeof host, "%.*s", (int)(strrchr(broker, ':') - broker), broker);
  int port = atoi(strrchr(broker, ':') + 1);
  snprintf(service, sizeof service, "examples/%d/time", (int)getpid());

  mqtt_t *responder = mqtt_new(), *client = mqtt_new();
  mqtt_set_version(responder, MQTT_VERSION_5);
  mqtt_on_message_in(responder, on_request, NULL);
  if (mqtt_connect_to(responder, host, port) || mqtt_subscribe(responder, service, 1))
    return fail("responder");
  pthread_t serving;
  pthread_create(&serving, NULL, serve, responder);

  mqtt_set_version(client, MQTT_VERSION_5);
  if (mqtt_connect_to(client, host, port)) return fail("connect");

  /* One publish with its own options; with `acked` given it returns at its PUBACK. */
  mqtt_user_property unit = {"unit", "C"};
  mqtt_publish_options o = MQTT_PUBLISH_OPTIONS_INIT;
  o.qos = 1;
  o.properties.content_type = "text/plain";
  o.properties.user_properties = &unit;
  o.properties.user_properties_len = 1;
  mqtt_delivered acked;
  if (mqtt_publish_ex(client, "examples/temperature", (const uint8_t *)"21.5", 4, &o, &acked))
    return fail("publish");
  printf("PUBACK: packet %d reason %d\n", acked.packet_id, acked.reason_code);

  /* A request: the response topic, correlation data and the subscription are ours. */
  mqtt_message_event *answer = NULL;
  if (mqtt_request(client, service, (const uint8_t *)"now?", 4, 10000, &o, &answer))
    return fail("request");
  printf("response \"%s\"\n", answer->message);
  mqtt_message_event_free(answer);

  mqtt_disconnect(client);
  atomic_store(&stop, true);
  pthread_join(serving, NULL);
  mqtt_disconnect(responder);
  mqtt_free(client);
  mqtt_free(responder);
  return 0;
}
