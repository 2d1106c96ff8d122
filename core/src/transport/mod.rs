//! Layer 4: the byte stream under MQTT (plain TCP for now; TLS, WebSockets and proxies
//! land with the transports issue).
