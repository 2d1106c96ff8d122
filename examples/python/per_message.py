"""MQTT 5.0 per message: options given with each publish, its acknowledgement awaited,
the properties of a received message, and request/response.

    MQTT_BROKER=127.0.0.1:1883 examples/python/run per_message
"""

import asyncio
import os

import ferromq.aio


async def main() -> None:
    host, port = os.environ.get("MQTT_BROKER", "127.0.0.1:1883").rsplit(":", 1)
    service = f"examples/{os.getpid()}/time"

    # A responder: answers each request on its ResponseTopic with its CorrelationData.
    responder = ferromq.aio.mqtt()
    responder.version = 1  # MQTT 5.0

    async def answer(request: ferromq.MessageEvent) -> None:
        print(f"request {request.message!r}, user properties {request.properties.user_properties}")
        await responder.respond(request, "12:00")

    responder.on("MessageIn", answer)
    await responder.connect_to(host, int(port))
    await responder.subscribe(service, 1)

    client = ferromq.aio.mqtt()
    client.version = 1
    await client.connect_to(host, int(port))

    # One publish with its own options; the await completes at its PUBACK.
    properties: ferromq.PublishProperties = {"content_type": "text/plain", "user_properties": [("unit", "C")]}
    acked = await client.publish("examples/temperature", "21.5", qos=1, properties=properties)
    print(f"PUBACK: packet {acked.packet_id} reason {acked.reason_code}")

    # A request: the response topic, correlation data and the subscription are ours.
    response = await client.request(service, "now?", timeout=10, qos=1, properties=properties)
    print(f"response {response.message!r}")
    await client.disconnect()
    await responder.disconnect()


asyncio.run(main())
