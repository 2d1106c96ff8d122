"""Hello, MQTT: publish one message to ourselves at QoS 1 and print it when it comes back.

    MQTT_BROKER=host:port examples/python/run hello      (default 127.0.0.1:1883)

Exits 0 only if the message came back.
"""

import os
import sys
import time
import uuid

import ferromq


def main() -> int:
    host, _, port = os.environ.get("MQTT_BROKER", "127.0.0.1:1883").rpartition(":")
    topic = f"ferromq/hello/python/{uuid.uuid4().hex[:12]}"
    received = []

    m = ferromq.mqtt()
    m.timeout = 10

    @m.on("MessageIn")
    def message_in(e: ferromq.MessageEvent) -> None:
        print(f"received on {e.topic} (QoS {e.qos}): {e.message}")
        received.append(e.message)

    try:
        m.connect_to(host, int(port))
        print(f"connected to {host}:{port} as {m.client_id}")
        m.subscribe(topic, 1)
        m.publish_message(topic, 1, "hello from python")
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            m.do_events()
        m.disconnect()
    except ferromq.MQTTError as e:
        print(f"hello: {e}", file=sys.stderr)
        return 1
    if received != ["hello from python"]:
        print("hello: the message did not come back", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
