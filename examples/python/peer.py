"""The Python peer of the cross-language exchange (the contract is tests/cross/README.md).

    MQTT_BROKER=host:port examples/python/run peer NAME RUN_ID EXPECTED

Connects as ferromq-peer-NAME-RUN_ID, subscribes to ferromq/xlang/RUN_ID/+ at QoS 1,
publishes "hello from NAME" there as a retained QoS 1 message, prints every message, and
exits 0 once every name in EXPECTED (a comma list) was heard, or 1 after 20 s.
"""

import os
import sys
import time

import ferromq


def main() -> int:
    if len(sys.argv) != 4 or "MQTT_BROKER" not in os.environ:
        print("usage: peer NAME RUN_ID EXPECTED (with MQTT_BROKER=host:port)", file=sys.stderr)
        return 2
    name, run_id, expected = sys.argv[1], sys.argv[2], set(sys.argv[3].split(","))
    host, _, port = os.environ["MQTT_BROKER"].rpartition(":")
    heard = set()

    m = ferromq.mqtt()
    m.timeout = 10

    @m.on("MessageIn")
    def message_in(e: ferromq.MessageEvent) -> None:
        sender = e.topic.rsplit("/", 1)[-1]
        print(f'[{name}] got "{e.message}" from {sender}', flush=True)
        heard.add(sender)

    try:
        m.client_id = f"ferromq-peer-{name}-{run_id}"
        m.version = 0
        m.clean_session = True
        m.connect_to(host, int(port))
        m.subscribe(f"ferromq/xlang/{run_id}/+", 1)
        m.config("Retain=true")
        m.publish_message(f"ferromq/xlang/{run_id}/{name}", 1, f"hello from {name}")

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if expected <= heard:
                print(f"[{name}] heard all {len(expected)} peers", flush=True)
                m.disconnect()
                return 0
            m.do_events()
    except ferromq.MQTTError as e:
        print(f"[{name}] error: {e}", file=sys.stderr, flush=True)
        return 1
    print(f"[{name}] missing: {','.join(sorted(expected - heard))}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
