/* The transport scenarios of tests/scenarios.tsv: TLS with its certificates and refusals,
 * WebSockets, proxies and the socket settings, through the C face, against the real servers
 * tests/harness/transports starts (mosquitto TLS listeners, websockify, aedes, tinyproxy,
 * dante, microsocks, a SOCKS4A server). */
#define _GNU_SOURCE
#include "runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *env(const char *name) {
    const char *v = getenv(name);
    CHECK_MSG(v && *v, "%s is not set: run under tests/harness/with-brokers", name);
    return v;
}

/* A whole file (NUL-terminated; freed when the test ends); *len receives its size. */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = t_malloc((size_t)n + 1);
    CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    buf[n] = 0;
    if (len) *len = (size_t)n;
    return buf;
}

static void config(mqtt_t *m, const char *fmt, const char *value) {
    size_t n = strlen(fmt) + strlen(value) + 1;
    char *setting = t_malloc(n);
    snprintf(setting, n, fmt, value);
    CHECK_MSG(mqtt_config(m, setting, NULL) == MQTT_OK, "%s: %s", setting, mqtt_last_error());
}

static void config_int(mqtt_t *m, const char *name, int value) {
    char setting[128];
    snprintf(setting, sizeof setting, "%s=%d", name, value);
    CHECK_MSG(mqtt_config(m, setting, NULL) == MQTT_OK, "%s: %s", setting, mqtt_last_error());
}

/* What a client saw of the transport besides the usual events. */
#define STEPS 16
typedef struct {
    rec *r;
    int steps;
    char *step[STEPS];
    int ssl_status;
    int auth;
    bool auth_accept;
    char *auth_subject, *auth_status;
    unsigned char *auth_der;
    size_t auth_der_len;
    /* -1: leave the engine's proposal; 0: refuse; 1: accept. */
    int answer;
} watch;

static void free_watch(void *p) {
    watch *w = p;
    for (int i = 0; i < w->steps && i < STEPS; i++) free(w->step[i]);
    free(w->auth_subject);
    free(w->auth_status);
    free(w->auth_der);
    free(w);
}

static void on_step(mqtt_t *m, const mqtt_connection_status_event *e, void *ud) {
    watch *w = ud;
    (void)m;
    CB_EXPECT(e->connection_event != NULL && e->description != NULL);
    if (w->steps < STEPS) w->step[w->steps] = strdup(e->connection_event);
    w->steps++;
}

static void on_ssl_status(mqtt_t *m, const mqtt_ssl_status_event *e, void *ud) {
    (void)m;
    CB_EXPECT(e->message != NULL);
    ((watch *)ud)->ssl_status++;
}

static void on_auth(mqtt_t *m, mqtt_ssl_server_authentication_event *e, void *ud) {
    watch *w = ud;
    (void)m;
    CB_EXPECT(e->cert_subject && e->cert_issuer && e->status && e->cert_encoded);
    CB_EXPECT(e->cert_encoded_b != NULL && e->cert_encoded_b_len > 0);
    w->auth++;
    w->auth_accept = e->accept;
    free(w->auth_subject);
    free(w->auth_status);
    free(w->auth_der);
    w->auth_subject = strdup(e->cert_subject);
    w->auth_status = strdup(e->status);
    w->auth_der = malloc(e->cert_encoded_b_len);
    if (w->auth_der) memcpy(w->auth_der, e->cert_encoded_b, e->cert_encoded_b_len);
    w->auth_der_len = e->cert_encoded_b_len;
    if (w->answer >= 0) e->accept = w->answer == 1;
}

static bool saw_step(const watch *w, const char *step) {
    for (int i = 0; i < w->steps && i < STEPS; i++)
        if (strcmp(w->step[i], step) == 0) return true;
    return false;
}

/* A recorded client; with `tls`, SSLEnabled and trusting the harness's test CA. */
static watch *watched(bool tls) {
    watch *w = calloc(1, sizeof *w);
    CHECK(w != NULL);
    t_defer(free_watch, w);
    w->answer = -1;
    w->r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, w->r);
    CHECK_OK(mqtt_on_connection_status(m, on_step, w));
    CHECK_OK(mqtt_on_ssl_status(m, on_ssl_status, w));
    CHECK_OK(mqtt_on_ssl_server_authentication(m, on_auth, w));
    if (tls) {
        CHECK_OK(mqtt_set_ssl_enabled(m, true));
        config(m, "SSLServerCACerts=%s", (const char *)slurp(env("FERROMQ_CA_CERT"), NULL));
    }
    return w;
}

#define M(w) ((w)->r->client)

/* Subscribe, publish `len` bytes at QoS 1 to our own subscription, see them come back. */
static void roundtrip(watch *w, const void *payload, size_t len) {
    mqtt_t *m = M(w);
    const char *topic = unique_topic("transport");
    CHECK_OK(mqtt_subscribe(m, topic, 1));
    int before = w->r->in;
    CHECK_OK(mqtt_publish_data(m, topic, 1, payload, len));
    CHECK_MSG(wait_count(m, &w->r->in, before + 1, 20), "the message did not come back");
    CHECK(before < REC_MAX);
    rec_msg *x = &w->r->msg_in[before];
    CHECK_STR(x->topic, topic);
    CHECK_INT(x->len, len);
    CHECK_MSG(memcmp(x->data, payload, len) == 0, "the payload came back changed");
}

static void roundtrip_text(watch *w, const char *text) { roundtrip(w, text, strlen(text)); }

/* Connecting must fail with `code`, the message naming `word` (NULL: any message). */
static void refused(mqtt_t *m, const char *host, int port, int code, const char *word) {
    int got = mqtt_connect_to(m, host, port);
    CHECK_MSG(got == code, "connect to %s:%d returned %d (want %d): %s", host, port, got, code,
              got ? mqtt_last_error() : "");
    if (word) CHECK_ERR_HAS(word);
    CHECK(!get_bool(mqtt_get_connected, m));
}

static void free_cert(void *c) { mqtt_certificate_free(c); }

/* The handle a constructor wrote to *c, freed when the test ends; `made` is the
 * constructor's result (passed by pointer: C leaves the order of arguments open). */
static mqtt_certificate_t *kept(int made, mqtt_certificate_t **c) {
    CHECK_MSG(made == MQTT_OK, "building the certificate failed (%d): %s", made,
              mqtt_last_error());
    CHECK(*c != NULL);
    t_defer(free_cert, *c);
    return *c;
}

static const mqtt_certificate_info *info_of(const mqtt_certificate_t *c) {
    const mqtt_certificate_info *info = NULL;
    CHECK_OK(mqtt_certificate_get_info(c, &info));
    CHECK(info != NULL);
    return info;
}

static mqtt_certificate_t *server_cert(mqtt_t *m) {
    mqtt_certificate_t *c = NULL;
    return kept(mqtt_get_ssl_server_cert(m, &c), &c);
}

/* ---- tls_connect ---- */

TEST(scenario_tls_connect) {
    for (int version = 0; version <= 1; version++) {
        watch *w = watched(true);
        mqtt_t *m = M(w);
        CHECK_OK(mqtt_set_version(m, version));
        bool empty = false;
        CHECK_OK(mqtt_certificate_is_empty(server_cert(m), &empty));
        CHECK(empty);
        CHECK_OK(mqtt_connect_to(m, "localhost", broker_port("FERROMQ_TLS_PORT")));
        CHECK_INT(w->auth, 1);
        CHECK_STR(w->auth_status, "OK");
        CHECK(w->auth_accept);
        CHECK_MSG(strstr(w->auth_subject, "localhost"), "subject %s", w->auth_subject);
        CHECK(w->ssl_status > 0);
        CHECK_INT(w->steps, 2);
        CHECK_STR(w->step[0], "SSL handshake complete");
        CHECK_STR(w->step[1], "Remote host connection complete");
        const mqtt_certificate_info *info = info_of(server_cert(m));
        CHECK_STR(info->subject, w->auth_subject);
        CHECK_INT(info->encoded_b_len, w->auth_der_len);
        CHECK(memcmp(info->encoded_b, w->auth_der, w->auth_der_len) == 0);
        CHECK_INT(strlen(info->fingerprint_sha256), 32 * 3 - 1);
        CHECK_MSG(strstr(info->subject_alt_names, "127.0.0.1"), "SANs %s",
                  info->subject_alt_names);
        CHECK_STR(config_get(m, "SSLNegotiatedVersion"), "TLS1.3");
        CHECK(strlen(config_get(m, "SSLNegotiatedCipherSuite")) > 0);
        CHECK_STR(config_get(m, "SSLNegotiatedKeyExchange"), "ECDHE");
        roundtrip_text(w, "over TLS");
        CHECK_OK(mqtt_disconnect(m));
        /* An IP address is checked against the certificate's IP names. */
        CHECK_OK(mqtt_connect_to(m, "127.0.0.1", broker_port("FERROMQ_TLS_PORT")));
        CHECK_OK(mqtt_disconnect(m));
    }
}

/* ---- tls_refusals ---- */

TEST(scenario_tls_refusals) {
    watch *w = watched(true);
    mqtt_t *m = M(w);
    /* Twice: a second attempt verifies again. */
    for (int i = 0; i < 2; i++)
        refused(m, "localhost", broker_port("FERROMQ_TLS_UNTRUSTED_PORT"),
                MQTT_ERR_TLS_CERT_VERIFY, "not signed by a trusted");
    refused(m, "localhost", broker_port("FERROMQ_TLS_WRONG_HOST_PORT"), MQTT_ERR_TLS_CERT_VERIFY,
            "not valid for the host name");
    refused(m, "localhost", broker_port("FERROMQ_TLS_EXPIRED_PORT"), MQTT_ERR_TLS_CERT_VERIFY,
            "expired");
    refused(m, "127.0.0.1", broker_port("FERROMQ_PLAIN_PORT"), MQTT_ERR_TLS_HANDSHAKE, NULL);
    int masks[2] = {0x0C00, 0x3000};
    for (int i = 0; i < 2; i++) {
        config_int(m, "SSLEnabledProtocols", masks[i]);
        refused(m, "localhost", broker_port("FERROMQ_TLS_CLIENT_CERT_PORT"),
                MQTT_ERR_TLS_HANDSHAKE, "requires a client certificate");
    }
    watch *plain = watched(false);
    refused(M(plain), "127.0.0.1", broker_port("FERROMQ_TLS_PORT"), MQTT_ERR_CONNECTION_RESET,
            "enable SSL");
}

/* ---- tls_accept_server_cert ---- */

TEST(scenario_tls_accept_server_cert) {
    /* Exactly the untrusted server's certificate, taken from a first refused attempt. */
    watch *w = watched(true);
    mqtt_t *m = M(w);
    int untrusted = broker_port("FERROMQ_TLS_UNTRUSTED_PORT");
    refused(m, "localhost", untrusted, MQTT_ERR_TLS_CERT_VERIFY, NULL);
    CHECK_INT(w->auth, 1);
    CHECK_MSG(!w->auth_accept, "a failed certificate is not accepted by default");
    CHECK_MSG(strstr(w->auth_status, "not signed by a trusted"), "status %s", w->auth_status);
    mqtt_certificate_t *pinned = NULL;
    kept(mqtt_certificate_from_encoded(w->auth_der, w->auth_der_len, &pinned), &pinned);
    CHECK_OK(mqtt_set_ssl_accept_server_cert(m, pinned));
    CHECK_OK(mqtt_connect_to(m, "localhost", untrusted));
    const mqtt_certificate_info *seen = info_of(server_cert(m));
    const mqtt_certificate_info *want = info_of(pinned);
    CHECK_INT(seen->encoded_b_len, want->encoded_b_len);
    CHECK(memcmp(seen->encoded_b, want->encoded_b, want->encoded_b_len) == 0);
    CHECK_OK(mqtt_disconnect(m));
    /* A different pinned certificate does not open the door. */
    mqtt_certificate_t *ca = NULL;
    kept(mqtt_certificate_from_file(env("FERROMQ_CA_CERT"), &ca), &ca);
    CHECK_OK(mqtt_set_ssl_accept_server_cert(m, ca));
    refused(m, "localhost", untrusted, MQTT_ERR_TLS_CERT_VERIFY, NULL);

    /* SSLAcceptAnyServerCert leaves the decision to the callback. */
    watch *any = watched(false);
    CHECK_OK(mqtt_set_ssl_enabled(M(any), true));
    CHECK_OK(mqtt_config(M(any), "SSLAcceptAnyServerCert=True", NULL));
    any->answer = 0;
    refused(M(any), "localhost", untrusted, MQTT_ERR_TLS_CERT_VERIFY, NULL);
    CHECK(any->auth_accept); /* what the engine proposed */
    any->answer = 1;
    CHECK_OK(mqtt_connect_to(M(any), "localhost", untrusted));
    CHECK_OK(mqtt_disconnect(M(any)));
}

/* ---- tls_client_cert ---- */

TEST(scenario_tls_client_cert) {
    const char *pw = env("FERROMQ_CLIENT_P12_PASSWORD");
    const char *p12_file = env("FERROMQ_CLIENT_P12");
    const char *pem_file = env("FERROMQ_CLIENT_PEM");
    size_t p12_len, key_len, cert_len;
    unsigned char *p12 = slurp(p12_file, &p12_len);
    unsigned char *key = slurp(env("FERROMQ_CLIENT_KEY"), &key_len);
    unsigned char *cert_pem = slurp(env("FERROMQ_CLIENT_CERT"), &cert_len);
    mqtt_certificate_t *c[4] = {0};
    kept(mqtt_certificate_from_store(MQTT_CERT_STORE_PFX_FILE, (const uint8_t *)p12_file,
                                     strlen(p12_file), pw, "*", &c[0]), &c[0]);
    kept(mqtt_certificate_from_store(MQTT_CERT_STORE_PFX_BLOB, p12, p12_len, pw, "", &c[1]),
         &c[1]);
    kept(mqtt_certificate_from_store(MQTT_CERT_STORE_PEM_KEY_FILE, (const uint8_t *)pem_file,
                                     strlen(pem_file), "", "", &c[2]), &c[2]);
    kept(mqtt_certificate_from_store_encoded(MQTT_CERT_STORE_PEM_KEY_BLOB, key, key_len, "",
                                             cert_pem, cert_len, &c[3]), &c[3]);
    const char *what[4] = {"PKCS#12 file", "PKCS#12 blob", "PEM file",
                           "PEM key blob with its certificate"};
    int masks[2] = {0x0C00, 0x3000};
    for (int i = 0; i < 4; i++) {
        const mqtt_certificate_info *info = info_of(c[i]);
        CHECK_MSG(info->private_key_available, "%s", what[i]);
        CHECK_MSG(*info->subject, "%s", what[i]);
        CHECK_MSG(*info->thumbprint_sha1, "%s", what[i]);
        for (int j = 0; j < 2; j++) {
            watch *w = watched(true);
            CHECK_OK(mqtt_set_ssl_cert(M(w), c[i]));
            config_int(M(w), "SSLEnabledProtocols", masks[j]);
            int got = mqtt_connect_to(M(w), "localhost",
                                      broker_port("FERROMQ_TLS_CLIENT_CERT_PORT"));
            CHECK_MSG(got == MQTT_OK, "%s, protocols %d: %d %s", what[i], masks[j], got,
                      mqtt_last_error());
            roundtrip_text(w, what[i]);
            CHECK_OK(mqtt_disconnect(M(w)));
        }
    }
    /* The client's copy is its own: the handle read back is another one, equal in value. */
    watch *w = watched(true);
    CHECK_OK(mqtt_set_ssl_cert(M(w), c[1]));
    mqtt_certificate_t *back = NULL;
    kept(mqtt_get_ssl_cert(M(w), &back), &back);
    CHECK(back != c[1]);
    CHECK_STR(info_of(back)->thumbprint_sha256, info_of(c[1])->thumbprint_sha256);
    CHECK_INT(info_of(back)->store_type, MQTT_CERT_STORE_PFX_BLOB);

    /* Bad stores are refused where the certificate is named, and *cert stays untouched. */
    mqtt_certificate_t *bad = NULL;
    CHECK_CODE(mqtt_certificate_from_store(MQTT_CERT_STORE_PFX_BLOB, p12, p12_len,
                                           "wrong password", "", &bad),
               MQTT_ERR_TLS_STORE);
    CHECK_CODE(mqtt_certificate_from_store(1, (const uint8_t *)"MY", 2, "", "", &bad),
               MQTT_ERR_TLS_STORE);
    CHECK_CODE(mqtt_certificate_from_store(MQTT_CERT_STORE_PFX_BLOB, p12, p12_len, pw,
                                           "CN=nobody-has-this", &bad),
               MQTT_ERR_TLS_CERT_NOT_FOUND);
    CHECK(bad == NULL);
    CHECK_CODE(mqtt_certificate_from_store(MQTT_CERT_STORE_PFX_BLOB, NULL, 5, pw, "", &bad),
               MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_certificate_from_file("/nonexistent/ferromq.pem", &bad), MQTT_ERR_TLS_STORE);
    CHECK_ERR_HAS("/nonexistent/ferromq.pem");
    CHECK_CODE(mqtt_certificate_from_encoded((const uint8_t *)"not a certificate", 17, &bad),
               MQTT_ERR_TLS_CERT_NOT_FOUND);
    CHECK(bad == NULL);
    /* A certificate without its key cannot authenticate. */
    mqtt_certificate_t *no_key = NULL;
    kept(mqtt_certificate_from_file(env("FERROMQ_CLIENT_CERT"), &no_key), &no_key);
    CHECK(!info_of(no_key)->private_key_available);
    CHECK_CODE(mqtt_set_ssl_cert(M(w), no_key), MQTT_ERR_TLS_CREDENTIALS);
    CHECK_CODE(mqtt_set_ssl_cert(M(w), NULL), MQTT_ERR_INVALID_ARGUMENT);
    /* The empty certificate offers none. */
    mqtt_certificate_t *none = mqtt_certificate_new();
    kept(MQTT_OK, &none);
    CHECK_OK(mqtt_set_ssl_cert(M(w), none));
    const mqtt_certificate_info *e = info_of(none);
    CHECK_STR(e->subject, "");
    CHECK_STR(e->store, "MY");
    CHECK_INT(e->encoded_b_len, 0);
    CHECK(e->encoded_b != NULL || e->encoded_b_len == 0);
}

/* ---- tls_settings_checked ---- */

TEST(scenario_tls_settings_checked) {
    mqtt_t *m = new_client();
    struct {
        const char *setting, *word;
    } bad[] = {
        {"SSLEnabledProtocols=192", "192"},
        {"SSLEnabledProtocols=768", "768"},
        {"SSLEnabledCipherSuites=TLS_BOGUS_SUITE", "TLS_BOGUS_SUITE"},
        {"TLS12SupportedGroups=ecdhe_bogus", "ecdhe_bogus"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_CODE(mqtt_config(m, bad[i].setting, NULL), MQTT_ERR_INVALID_ARGUMENT);
        CHECK_ERR_HAS(bad[i].word);
    }
    CHECK_CODE(mqtt_set_ssl_provider(m, 3), MQTT_ERR_INVALID_ARGUMENT);
    /* Accepted, without effect: another TLS stack's settings. */
    const char *other[] = {"OpenSSLCipherList=HIGH:!aNULL", "SSLSecurityFlags=128",
                           "ReuseSSLSession=True", "SSLCipherStrength=256"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        CHECK_OK(mqtt_config(m, other[i], NULL));
    CHECK_OK(mqtt_set_ssl_provider(m, MQTT_SSL_PROVIDER_PLATFORM));
    CHECK_INT(get_int(mqtt_get_ssl_provider, m), 1);
    CHECK(!get_bool(mqtt_get_ssl_enabled, m));

    /* A chosen suite is negotiated, TLS 1.2 when asked, and the key log is written. */
    char keylog[128];
    snprintf(keylog, sizeof keylog, "/tmp/ferromq-c-keylog-%d-%06x", (int)getpid(),
             (unsigned)rand() & 0xffffff);
    watch *w = watched(true);
    CHECK_OK(mqtt_config(M(w), "SSLEnabledCipherSuites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                         NULL));
    config_int(M(w), "SSLEnabledProtocols", 3072);
    config(M(w), "SSLKeyLogFile=%s", keylog);
    CHECK_OK(mqtt_connect_to(M(w), "localhost", broker_port("FERROMQ_TLS_PORT")));
    CHECK_STR(config_get(M(w), "SSLNegotiatedVersion"), "TLS1.2");
    CHECK_STR(config_get(M(w), "SSLNegotiatedCipherSuite"),
              "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    CHECK_STR(config_get(M(w), "SSLNegotiatedCipherStrength"), "256");
    CHECK_OK(mqtt_disconnect(M(w)));
    char *log = (char *)slurp(keylog, NULL);
    unlink(keylog);
    CHECK_MSG(strstr(log, "CLIENT_RANDOM"), "key log: %s", log);
    /* The trust file of the OpenSSL settings works as SSLServerCACerts does. */
    watch *o = watched(false);
    CHECK_OK(mqtt_set_ssl_enabled(M(o), true));
    config(M(o), "OpenSSLCAFile=%s", env("FERROMQ_CA_CERT"));
    CHECK_OK(mqtt_connect_to(M(o), "localhost", broker_port("FERROMQ_TLS_PORT")));
    CHECK_OK(mqtt_disconnect(M(o)));
}

/* ---- websocket_connect ---- */

TEST(scenario_websocket_connect) {
    size_t big_len = 300000;
    unsigned char *big = t_malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = (unsigned char)(i % 251);
    char urls[2][128];
    snprintf(urls[0], sizeof urls[0], "ws://127.0.0.1:%d/mqtt", broker_port("FERROMQ_WS_PORT"));
    snprintf(urls[1], sizeof urls[1], "wss://localhost:%d/mqtt", broker_port("FERROMQ_WSS_PORT"));
    for (int version = 0; version <= 1; version++) {
        for (int u = 0; u < 2; u++) {
            /* wss:// needs no SSLEnabled; ws:// ignores the TLS settings. */
            watch *w = watched(true);
            mqtt_t *m = M(w);
            CHECK_OK(mqtt_set_ssl_enabled(m, false));
            CHECK_OK(mqtt_set_version(m, version));
            CHECK_OK(mqtt_set_remote_host(m, urls[u]));
            int got = mqtt_connect(m);
            CHECK_MSG(got == MQTT_OK, "%s: %d %s", urls[u], got, mqtt_last_error());
            CHECK(saw_step(w, "Remote host connection complete"));
            roundtrip_text(w, "small");
            /* Far larger than a frame of websockify's: split across frames. */
            roundtrip(w, big, big_len);
            /* A burst: several packets per frame. */
            const char *topic = unique_topic("ws-burst");
            CHECK_OK(mqtt_subscribe(m, topic, 0));
            int before = w->r->in;
            char text[16];
            for (int i = 0; i < 200; i++) {
                snprintf(text, sizeof text, "%d", i);
                CHECK_OK(mqtt_publish_message(m, topic, 0, text));
            }
            CHECK_MSG(wait_count(m, &w->r->in, before + 200, 20), "%s: %d of 200 came back",
                      urls[u], w->r->in - before);
            CHECK_OK(mqtt_disconnect(m));
        }
    }
    watch *a = watched(false);
    char aedes[128];
    snprintf(aedes, sizeof aedes, "ws://127.0.0.1:%d", broker_port("FERROMQ_AEDES_WS_PORT"));
    CHECK_OK(mqtt_set_remote_host(M(a), aedes));
    CHECK_OK(mqtt_connect(M(a)));
    roundtrip_text(a, "aedes");
    CHECK_OK(mqtt_disconnect(M(a)));
    CHECK_CODE(mqtt_connect_to(new_client(), "http://127.0.0.1/", 80), MQTT_ERR_INVALID_ARGUMENT);
}

/* ---- proxy_connect / proxy_refusals ---- */

/* Set the Firewall property and check it reads back the same, also as FirewallType. */
static void with_proxy(mqtt_t *m, int type, const char *port_var, bool auth) {
    mqtt_firewall fw = {.struct_size = sizeof fw};
    fw.firewall_type = type;
    fw.host = "127.0.0.1";
    fw.port = broker_port(port_var);
    if (auth) {
        fw.user = env("FERROMQ_PROXY_USER");
        fw.password = env("FERROMQ_PROXY_PASSWORD");
    }
    CHECK_OK(mqtt_set_firewall(m, &fw));
    mqtt_firewall back = {.struct_size = sizeof back};
    CHECK_OK(mqtt_get_firewall(m, &back));
    bool same = back.firewall_type == type && back.port == fw.port && !back.auto_detect &&
                strcmp(back.host, "127.0.0.1") == 0 &&
                strcmp(back.user, auth ? fw.user : "") == 0 &&
                strcmp(back.password, auth ? fw.password : "") == 0;
    mqtt_firewall_release(&back);
    CHECK(back.host == NULL && back.user == NULL && back.password == NULL);
    mqtt_firewall_release(&back); /* a second release changes nothing */
    CHECK_MSG(same, "the Firewall read back differs from the one set");
    char want[16];
    snprintf(want, sizeof want, "%d", type);
    CHECK_STR(config_get(m, "FirewallType"), want);
}

TEST(scenario_proxy_connect) {
    struct {
        int type;
        const char *port_var;
        bool auth;
    } through[] = {
        {MQTT_FIREWALL_TUNNEL, "FERROMQ_PROXY_HTTP_PORT", false},
        {MQTT_FIREWALL_TUNNEL, "FERROMQ_PROXY_HTTP_AUTH_PORT", true},
        {MQTT_FIREWALL_SOCKS4, "FERROMQ_PROXY_SOCKS_PORT", false},
        {MQTT_FIREWALL_SOCKS5, "FERROMQ_PROXY_SOCKS_PORT", false},
        {MQTT_FIREWALL_SOCKS5, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", true},
        {MQTT_FIREWALL_SOCKS4A, "FERROMQ_PROXY_SOCKS4A_PORT", false},
    };
    const char *kinds[3] = {"plain", "TLS", "wss"};
    for (size_t p = 0; p < sizeof through / sizeof through[0]; p++) {
        for (int k = 0; k < 3; k++) {
            watch *w = watched(true);
            mqtt_t *m = M(w);
            CHECK_OK(mqtt_set_ssl_enabled(m, k == 1));
            with_proxy(m, through[p].type, through[p].port_var, through[p].auth);
            int got;
            if (k == 2) {
                char url[128];
                snprintf(url, sizeof url, "wss://localhost:%d/",
                         broker_port("FERROMQ_WSS_PORT"));
                CHECK_OK(mqtt_set_remote_host(m, url));
                got = mqtt_connect(m);
            } else if (k == 1) {
                got = mqtt_connect_to(m, "localhost", broker_port("FERROMQ_TLS_PORT"));
            } else {
                got = mqtt_connect_to(m, "127.0.0.1", broker_port("FERROMQ_PLAIN_PORT"));
            }
            CHECK_MSG(got == MQTT_OK, "%s through type %d at %s: %d %s", kinds[k],
                      through[p].type, through[p].port_var, got, mqtt_last_error());
            CHECK_MSG(saw_step(w, "Firewall connection complete"), "%s through %s", kinds[k],
                      through[p].port_var);
            roundtrip_text(w, kinds[k]);
            CHECK_OK(mqtt_disconnect(m));
        }
    }
    /* "*" before the host: the SOCKS4A proxy resolves the name. */
    int plain = broker_port("FERROMQ_PLAIN_PORT");
    watch *w = watched(false);
    with_proxy(M(w), MQTT_FIREWALL_SOCKS4A, "FERROMQ_PROXY_SOCKS4A_PORT", false);
    CHECK_OK(mqtt_connect_to(M(w), "*localhost", plain));
    CHECK_OK(mqtt_disconnect(M(w)));
    char *log = (char *)slurp(env("FERROMQ_PROXY_SOCKS4A_LOG"), NULL);
    char want[64];
    snprintf(want, sizeof want, "v4 localhost %d", plain);
    CHECK_MSG(strstr(log, want), "SOCKS4A log lacks \"%s\": %s", want, log);
    /* A host on the exceptions list is reached directly, even with a dead proxy. */
    watch *x = watched(false);
    with_proxy(M(x), MQTT_FIREWALL_TUNNEL, "FERROMQ_CLOSED_PORT", false);
    CHECK_OK(mqtt_config(M(x), "ProxyExceptionsList=example.com;127.0.0.1", NULL));
    CHECK_OK(mqtt_connect_to(M(x), "127.0.0.1", plain));
    CHECK(!saw_step(x, "Firewall connection complete"));
    CHECK_OK(mqtt_disconnect(M(x)));
}

TEST(scenario_proxy_refusals) {
    int plain = broker_port("FERROMQ_PLAIN_PORT");
    mqtt_t *m = new_client();
    with_proxy(m, MQTT_FIREWALL_TUNNEL, "FERROMQ_PROXY_HTTP_AUTH_PORT", false);
    refused(m, "127.0.0.1", plain, MQTT_ERR_FIREWALL, "407");
    with_proxy(m, MQTT_FIREWALL_TUNNEL, "FERROMQ_PROXY_HTTP_AUTH_PORT", true);
    CHECK_OK(mqtt_config(m, "FirewallPassword=wrong", NULL));
    refused(m, "127.0.0.1", plain, MQTT_ERR_FIREWALL, "401");
    with_proxy(m, MQTT_FIREWALL_SOCKS5, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", true);
    CHECK_OK(mqtt_config(m, "FirewallPassword=wrong", NULL));
    refused(m, "127.0.0.1", plain, MQTT_ERR_FIREWALL, "SOCKS5");
    with_proxy(m, MQTT_FIREWALL_SOCKS5, "FERROMQ_CLOSED_PORT", false);
    refused(m, "127.0.0.1", plain, MQTT_ERR_FIREWALL, "cannot reach");
    with_proxy(m, MQTT_FIREWALL_SOCKS4, "FERROMQ_PROXY_SOCKS_PORT", false);
    refused(m, "127.0.0.1", broker_port("FERROMQ_CLOSED_PORT"), MQTT_ERR_FIREWALL, "reply 91");
    CHECK_CODE(mqtt_config(m, "FirewallType=4", NULL), MQTT_ERR_INVALID_ARGUMENT);
    mqtt_firewall fw = {.struct_size = sizeof fw};
    fw.firewall_type = MQTT_FIREWALL_TUNNEL;
    fw.port = 70000;
    CHECK_CODE(mqtt_set_firewall(m, &fw), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("70000");
    fw.port = 0;
    fw.firewall_type = 5;
    CHECK_CODE(mqtt_set_firewall(m, &fw), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("5");
    CHECK_CODE(mqtt_set_firewall(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    /* A refused Firewall changed nothing. */
    CHECK_STR(config_get(m, "FirewallType"), "2");
}

/* ---- socket_settings ---- */

TEST(scenario_socket_settings) {
    int plain = broker_port("FERROMQ_PLAIN_PORT");
    /* LocalHost/LocalPort: bound as asked, and read back while connected. */
    watch *w = watched(false);
    mqtt_t *m = M(w);
    int local = free_port();
    CHECK_OK(mqtt_set_local_host(m, "127.0.0.1"));
    CHECK_OK(mqtt_set_local_port(m, local));
    const char *options[] = {"TCPKeepAlive=True",  "KeepAliveTime=30000",
                             "KeepAliveInterval=5000", "Linger=False",
                             "InBufferSize=65536", "OutBufferSize=65536",
                             "TcpNoDelay=False"};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        CHECK_OK(mqtt_config(m, options[i], NULL));
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", plain));
    CHECK_INT(get_int(mqtt_get_local_port, m), local);
    CHECK_MSG(tcp_link_exists(local, plain), "the broker does not see port %d", local);
    CHECK_STR(get_str(mqtt_get_local_host, m), "127.0.0.1");
    CHECK_CODE(mqtt_config(m, "LocalPort=0", NULL), MQTT_ERR_LOCAL_PORT_LOCKED);
    CHECK_CODE(mqtt_config(m, "LocalHost=", NULL), MQTT_ERR_LOCAL_HOST_LOCKED);
    CHECK_CODE(mqtt_config(m, "MaxLineLength=4096", NULL), MQTT_ERR_MAX_LINE_LENGTH_LOCKED);
    roundtrip_text(w, "socket options");
    CHECK_OK(mqtt_disconnect(m));
    CHECK_INT(get_int(mqtt_get_local_port, m), local);

    /* UseIPv6 against the [::1] listener. */
    int v6 = broker_port("FERROMQ_V6_PORT");
    mqtt_t *s = new_client();
    CHECK_OK(mqtt_config(s, "UseIPv6=1", NULL));
    CHECK_OK(mqtt_connect_to(s, "::1", v6));
    CHECK_STR(get_str(mqtt_get_local_host, s), "::1");
    CHECK_OK(mqtt_disconnect(s));
    CHECK_OK(mqtt_config(s, "UseIPv6=2", NULL));
    CHECK_OK(mqtt_connect_to(s, "::1", v6));
    CHECK_OK(mqtt_disconnect(s));
    CHECK_OK(mqtt_connect_to(s, "127.0.0.1", plain));
    CHECK_STR(get_str(mqtt_get_local_host, s), "127.0.0.1");
    CHECK_OK(mqtt_disconnect(s));
    CHECK_OK(mqtt_config(s, "UseIPv6=1", NULL));
    CHECK_CODE(mqtt_connect_to(s, "127.0.0.1", plain), MQTT_ERR_HOST_NOT_FOUND);
    CHECK_OK(mqtt_config(s, "UseIPv6=0", NULL));
    CHECK_CODE(mqtt_connect_to(s, "::1", v6), MQTT_ERR_HOST_NOT_FOUND);
    CHECK_ERR_HAS("UseIPv6");
    CHECK_CODE(mqtt_config(s, "UseIPv6=3", NULL), MQTT_ERR_INVALID_ARGUMENT);

    /* MaxTransferRate: 64 KiB at 32 KiB/s cannot take much less than 2 s. */
    watch *slow = watched(false);
    CHECK_OK(mqtt_config(M(slow), "MaxTransferRate=32768", NULL));
    CHECK_OK(mqtt_connect_to(M(slow), "127.0.0.1", plain));
    size_t len = 64 * 1024;
    unsigned char *payload = t_malloc(len);
    memset(payload, 7, len);
    double started = now_s();
    roundtrip(slow, payload, len);
    double took = now_s() - started;
    printf("  64 KiB at MaxTransferRate 32768 took %.2f s\n", took);
    CHECK_MSG(took >= 1.5, "took %.2f s", took);
    CHECK_OK(mqtt_disconnect(M(slow)));

    /* ConnectionTimeout bounds a connection that is never answered. */
    int silent_port = 0;
    silent_listener(&silent_port);
    mqtt_t *t = new_client();
    CHECK_OK(mqtt_config(t, "ConnectionTimeout=1", NULL));
    started = now_s();
    CHECK_CODE(mqtt_connect_to(t, "127.0.0.1", silent_port), MQTT_ERR_TIMEOUT);
    CHECK_MSG(now_s() - started < 5, "took %.1f s", now_s() - started);
    CHECK_OK(mqtt_config(t, "MaxLineLength=4096", NULL));
    CHECK_STR(config_get(t, "MaxLineLength"), "4096");
}

/* ---- push mode ---- */

typedef struct {
    mqtt_t *m;
    atomic_bool stop;
} pumper;

static void notified(void *ud) { (void)ud; }

/* The application's own event thread of push mode. */
static void *pump_events(void *arg) {
    pumper *p = arg;
    while (!atomic_load(&p->stop)) {
        mqtt_do_events(p->m);
        usleep(1000);
    }
    return NULL;
}

/* In push mode the callback still decides: the handshake waits for the mqtt_do_events of
 * the application's own thread that fires it. */
TEST(push_mode_callback_answers_server_authentication) {
    int untrusted = broker_port("FERROMQ_TLS_UNTRUSTED_PORT");
    for (int answer = -1; answer <= 1; answer++) {
        watch *w = watched(false);
        mqtt_t *m = M(w);
        CHECK_OK(mqtt_set_ssl_enabled(m, true));
        CHECK_OK(mqtt_config(m, "SSLAcceptAnyServerCert=True", NULL));
        CHECK_OK(mqtt_set_event_notifier(m, notified, NULL));
        w->answer = answer;
        pumper p = {.m = m};
        atomic_init(&p.stop, false);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, pump_events, &p) == 0);
        int got = mqtt_connect_to(m, "localhost", untrusted);
        if (got == MQTT_OK) mqtt_disconnect(m);
        atomic_store(&p.stop, true);
        pthread_join(t, NULL);
        CHECK_OK(mqtt_set_event_notifier(m, NULL, NULL));
        CHECK_INT(w->auth, 1);
        /* No answer of its own: the engine's proposal (allowed by SSLAcceptAnyServerCert). */
        CHECK_INT(got, answer == 0 ? MQTT_ERR_TLS_CERT_VERIFY : MQTT_OK);
    }
}
