import os
import ferromq

host, port = os.environ.get("MQTT_BROKER", "127.0.0.1:1883").rsplit(":", 1)
m = ferromq.mqtt()
got = []


@m.on("MessageIn")
def message_in(e):
    print(f"{e.topic}: {e.message}")
    got.append(e)


m.connect_to(host, int(port))
m.subscribe("sensors/#", 1)
m.publish_message("sensors/t1", 1, "21.5")
while not got:
    m.do_events()  # handlers fire here, and inside every blocking call
m.disconnect()
