/* The scenarios of tests/scenarios.tsv that came with issue 14 (recovery and control): a
 * flooding, id-reusing, early-dropping or otherwise broken server (the scripted peer
 * tests/harness/hostile-peer), a persistent mosquitto of the test's own that is killed and
 * restarted or frozen (tests/harness/lone-broker), the wait check, and the shared broker for
 * the size limit and the client id.
 *
 * Children (the peer, the lone broker) are started with fork+exec, die with this process
 * (PR_SET_PDEATHSIG, so a test stopped by the runner's alarm leaves none behind), and are
 * killed and reaped by a deferred call on every path of the test. */
#define _GNU_SOURCE
#include "runner.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FERROMQ_ROOT
#define FERROMQ_ROOT "." /* tests/c/run passes the checkout's root; "." is where it runs */
#endif

/* ---- children ---- */

typedef struct child {
    pid_t pid;  /* 0 once reaped */
    int in_fd;  /* our end of its standard input, or -1 */
    int out_fd; /* our end of its standard output, or -1 */
} child;

static const char *harness(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/tests/harness/%s", FERROMQ_ROOT, name);
    CHECK_MSG(access(path, X_OK) == 0, "%s is missing or not executable", path);
    return t_strdup(path);
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* SIGCONT (a frozen lone broker is thawed first, as the scenarios promise), SIGKILL, and
 * wait for it: no zombie, no orphan. */
static void child_kill(child *c) {
    if (c->pid > 0) {
        kill(c->pid, SIGCONT);
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        c->pid = 0;
    }
}

static void child_end(void *p) {
    child *c = p;
    /* The peer ends by itself once its standard input closes; give it a moment to. */
    close_fd(&c->in_fd);
    double end = now_s() + 2;
    while (c->pid > 0 && now_s() < end) {
        if (waitpid(c->pid, NULL, WNOHANG) == c->pid) c->pid = 0;
        else usleep(10 * 1000);
    }
    child_kill(c);
    close_fd(&c->out_fd);
    free(c);
}

/* Start argv[0] with pipes to its stdin and from its stdout (each only if asked for);
 * `quiet` sends its stderr to /dev/null. */
static child *child_start(char *const argv[], bool pipe_in, bool pipe_out, bool quiet) {
    child *c = calloc(1, sizeof *c);
    CHECK(c != NULL);
    c->in_fd = c->out_fd = -1;
    t_defer(child_end, c);
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    /* O_CLOEXEC: no later child inherits our ends, so closing ours really closes them. */
    CHECK(!pipe_in || pipe2(in, O_CLOEXEC) == 0);
    CHECK(!pipe_out || pipe2(out, O_CLOEXEC) == 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls until exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int null = open("/dev/null", O_RDWR);
        dup2(pipe_in ? in[0] : null, 0);
        dup2(pipe_out ? out[1] : null, 1);
        if (quiet) dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pipe_in) close(in[0]);
    if (pipe_out) close(out[1]);
    c->in_fd = in[1];
    c->out_fd = out[0];
    if (pid < 0) {
        close_fd(&c->in_fd);
        close_fd(&c->out_fd);
        CHECK_MSG(false, "fork failed: errno %d", errno);
    }
    c->pid = pid;
    return c;
}

/* The scripted hostile server in `mode`; returns its port. It serves until the test ends. */
static int hostile_peer(const char *mode) {
    char *argv[] = {(char *)harness("hostile-peer"), (char *)mode, NULL};
    child *c = child_start(argv, true, true, false);
    char line[64];
    size_t n = 0;
    double end = now_s() + 30; /* python's start-up on a loaded machine */
    while (n < sizeof line - 1 && now_s() < end) {
        struct pollfd p = {.fd = c->out_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t got = read(c->out_fd, line + n, 1);
        if (got <= 0) break;
        if (line[n] == '\n') break;
        n++;
    }
    line[n] = 0;
    int port = atoi(line);
    CHECK_MSG(port > 0 && port < 65536, "hostile-peer %s printed \"%s\"", mode, line);
    return port;
}

/* A TCP connection to 127.0.0.1:port is accepted (by the kernel, at least). */
static bool accepts(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* tests/harness/lone-broker: a persistent mosquitto whose pid is ours to kill or freeze. */
typedef struct lone {
    char dir[128];
    int port;
    child *proc;
} lone;

static void lone_remove(void *p) {
    lone *b = p;
    remove_dir(b->dir);
    free(b);
}

/* Start (or start again, on the same port with the same store) and wait until it accepts. */
static bool lone_spawn(lone *b) {
    char portfile[256], portarg[16];
    snprintf(portfile, sizeof portfile, "%s/port", b->dir);
    snprintf(portarg, sizeof portarg, "%d", b->port);
    char *argv[] = {(char *)harness("lone-broker"), b->dir, b->port ? portarg : NULL, NULL};
    /* Quiet: mosquitto warns on stderr about running as root; its log is DIR/mosquitto.log. */
    b->proc = child_start(argv, false, false, true);
    double end = now_s() + 30;
    while (now_s() < end) {
        if (b->port == 0) {
            FILE *f = fopen(portfile, "r");
            if (f) {
                if (fscanf(f, "%d", &b->port) != 1) b->port = 0;
                fclose(f);
            }
        }
        if (b->port > 0 && accepts(b->port)) return true;
        if (waitpid(b->proc->pid, NULL, WNOHANG) == b->proc->pid) { /* it exited */
            b->proc->pid = 0;
            return false;
        }
        usleep(20 * 1000);
    }
    return false;
}

static lone *lone_start(void) {
    lone *b = calloc(1, sizeof *b);
    CHECK(b != NULL);
    snprintf(b->dir, sizeof b->dir, "/tmp/ferromq-clone-XXXXXX");
    if (!mkdtemp(b->dir)) {
        free(b);
        CHECK_MSG(false, "mkdtemp failed: errno %d", errno);
    }
    /* Registered before the broker, so it runs after the broker was killed. */
    t_defer(lone_remove, b);
    CHECK_MSG(lone_spawn(b), "the lone broker did not start (see %s/mosquitto.log)", b->dir);
    return b;
}

static void lone_restart(lone *b) {
    child_kill(b->proc);
    double end = now_s() + 15;
    while (now_s() < end) {
        if (lone_spawn(b)) return;
        usleep(100 * 1000);
    }
    CHECK_MSG(false, "the lone broker did not come back on port %d", b->port);
}

/* ---- recording what the scenarios look at ---- */

/* A slow MessageIn handler: counts, and takes about 1 ms per message. */
static void slow_in(mqtt_t *m, const mqtt_message_event *e, void *ud) {
    (void)m;
    (void)e;
    (*(int *)ud)++;
    usleep(1000);
}

/* Every Log line, appended (bounded). */
typedef struct logbook {
    char text[1 << 16];
    size_t len;
} logbook;

static void on_log_line(mqtt_t *m, const mqtt_log_event *e, void *ud) {
    (void)m;
    logbook *b = ud;
    int n = snprintf(b->text + b->len, sizeof b->text - b->len, "[%s] %s\n", e->log_type,
                     e->message);
    if (n > 0) b->len += (size_t)n < sizeof b->text - b->len ? (size_t)n : 0;
}

/* Whether a line that is not a packet trace ("[Packet] ...") holds both `a` and `b`. */
static bool log_line_has(const logbook *b, const char *a, const char *c) {
    const char *line = b->text;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char one[1024];
        snprintf(one, sizeof one, "%.*s", (int)n, line);
        if (strncmp(one, "[Packet]", 8) != 0 && strstr(one, a) && strstr(one, c)) return true;
        line += n + (nl ? 1 : 0);
    }
    return false;
}

static logbook *log_all(mqtt_t *m) {
    logbook *b = t_malloc(sizeof *b);
    CHECK_OK(mqtt_config(m, "LogLevel=3", NULL));
    CHECK_OK(mqtt_on_log(m, on_log_line, b));
    return b;
}

/* Connected callbacks counted by outcome. */
typedef struct conns {
    int ok, failed, last;
} conns;

static void count_connected(mqtt_t *m, const mqtt_connected_event *e, void *ud) {
    (void)m;
    conns *c = ud;
    if (e->status_code == 0) c->ok++;
    else c->failed++;
    c->last = e->status_code;
}

static int received_from(const rec *r, const char *topic, const char *text) {
    int n = 0;
    for (int i = 0; i < r->in && i < REC_MAX; i++)
        if (strcmp(r->msg_in[i].topic, topic) == 0 && (!text || strcmp(r->msg_in[i].text, text) == 0))
            n++;
    return n;
}

/* Whether `s` holds a decimal number >= `at_least`. */
static bool has_number_at_least(const char *s, long at_least) {
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || (p > s && p[-1] >= '0' && p[-1] <= '9')) continue;
        if (strtol(p, NULL, 10) >= at_least) return true;
    }
    return false;
}

static char *unique_id(const char *label) {
    char id[64];
    snprintf(id, sizeof id, "c-%s-%d-%06x", label, (int)getpid(), (unsigned)rand() & 0xffffff);
    return t_strdup(id);
}

/* ---- flood_returns_control ---- */

TEST(scenario_flood_returns_control) {
    int port = hostile_peer("flood");
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    int got = 0;
    CHECK_OK(mqtt_on_message_in(m, slow_in, &got));
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", port));

    /* Each DoEvents gives control back although the queue never empties. */
    double longest = 0;
    for (int i = 0; i < 5; i++) {
        double t0 = now_s();
        CHECK_OK(mqtt_do_events(m));
        double dt = now_s() - t0;
        if (dt > longest) longest = dt;
        CHECK_MSG(dt <= 2.0, "DoEvents %d took %.2f s under the flood", i, dt);
    }
    CHECK_MSG(got > 0, "the flood did not arrive");

    /* A blocking call honours its Timeout under the same flood. */
    CHECK_OK(mqtt_set_timeout(m, 2));
    double t0 = now_s();
    int rc = mqtt_subscribe(m, "flood/#", 0);
    double dt = now_s() - t0;
    CHECK_MSG(rc == MQTT_OK || rc == MQTT_ERR_TIMEOUT, "Subscribe gave %d: %s", rc,
              mqtt_last_error());
    CHECK_MSG(dt <= 15.0, "Subscribe with Timeout 2 returned after %.2f s", dt);
    printf("     longest DoEvents %.3f s, Subscribe %d after %.2f s, %d messages handled\n",
           longest, rc, dt, got);
    CHECK_MSG(get_bool(mqtt_get_connected, m), "the flood cost the connection");
    CHECK_INT(r->disconnected, 0);
}

/* ---- flood_keepalive_survives ---- */

TEST(scenario_flood_keepalive_survives) {
    int port = hostile_peer("flood");
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    int got = 0;
    CHECK_OK(mqtt_on_message_in(m, slow_in, &got));
    CHECK_OK(mqtt_set_keep_alive_interval(m, 1));
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", port));
    /* Eight keep-alive intervals with the event queue full most of the time. */
    double end = now_s() + 8;
    while (now_s() < end && r->disconnected == 0) mqtt_do_events(m);
    CHECK_MSG(got > 0, "the flood did not arrive");
    /* A drop near the end may still wait behind the queued messages: let it surface, to
     * say why. */
    if (r->disconnected == 0 && !get_bool(mqtt_get_connected, m)) {
        end = now_s() + 20;
        while (now_s() < end && r->disconnected == 0) mqtt_do_events(m);
    }
    CHECK_MSG(r->disconnected == 0, "dropped with %d (%s) after %d messages",
              r->disconnected_status, r->disconnected_desc, got);
    CHECK_MSG(r->errors == 0 || r->error_code != MQTT_ERR_TIMEOUT, "an Error with 201");
    CHECK(get_bool(mqtt_get_connected, m));
}

/* ---- id_reuse_after_server_restart ---- */

TEST(scenario_id_reuse_after_server_restart) {
    int port = hostile_peer("reuse-id");
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    logbook *log = log_all(m);
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", port));
    double end = now_s() + 15;
    while (received_from(r, "t/end", "end") == 0 && r->disconnected == 0 && now_s() < end)
        mqtt_do_events(m);
    pump(m, 0.3);
    CHECK_MSG(r->disconnected == 0, "the client closed: %d %s", r->disconnected_status,
              r->disconnected_desc);
    CHECK_INT(received_from(r, "t/new", "new"), 1);
    CHECK_INT(received_from(r, "t/end", "end"), 1);
    CHECK_MSG(received_from(r, "t/old", NULL) == 0, "the forgotten message was delivered:\n%s",
              log->text);
    CHECK(get_bool(mqtt_get_connected, m));
    CHECK_INT(get_int(mqtt_get_incoming_message_count, m), 0);
    /* The forgotten QoS 2 message is dropped, and a log line says so, naming its id. */
    CHECK_MSG(log_line_has(log, "7", "t/old") || log_line_has(log, "7", "QoS 2"),
              "no log line about the forgotten message with id 7:\n%s", log->text);
}

/* ---- broker_restart_recovers ---- */

/* Wait until the broker saved its store after `since` (CLOCK_REALTIME): the session and its
 * subscription are then on disk. */
static bool saved_after(const lone *b, const struct timespec *since, double secs) {
    char db[256];
    snprintf(db, sizeof db, "%s/mosquitto.db", b->dir);
    double end = now_s() + secs;
    while (now_s() < end) {
        struct stat st;
        if (stat(db, &st) == 0 &&
            (st.st_mtim.tv_sec > since->tv_sec ||
             (st.st_mtim.tv_sec == since->tv_sec && st.st_mtim.tv_nsec > since->tv_nsec)))
            return true;
        usleep(50 * 1000);
    }
    return false;
}

TEST(scenario_broker_restart_recovers) {
    lone *b = lone_start();
    const char *topic = unique_topic("restart");
    rec *r = new_rec();
    conns *c = t_malloc(sizeof *c);
    mqtt_t *sub = new_client();
    rec_attach(sub, r);
    CHECK_OK(mqtt_on_connected(sub, count_connected, c));
    CHECK_OK(mqtt_set_client_id(sub, unique_id("restart")));
    CHECK_OK(mqtt_set_clean_session(sub, false));
    CHECK_OK(mqtt_config(sub, "AutoReconnect=true", NULL));
    CHECK_OK(mqtt_connect_to(sub, "127.0.0.1", b->port));
    CHECK_OK(mqtt_subscribe(sub, topic, 1));
    struct timespec subscribed;
    clock_gettime(CLOCK_REALTIME, &subscribed);
    CHECK_MSG(saved_after(b, &subscribed, 15), "the lone broker never saved its store");
    CHECK_INT(c->ok, 1);

    lone_restart(b); /* kill -9, then the same port and store */
    double end = now_s() + 30;
    while (c->ok < 2 && now_s() < end) mqtt_do_events(sub);
    CHECK_MSG(c->ok == 2, "not connected again after the restart (%d failed attempts, last %d)",
              c->failed, c->last);
    CHECK_MSG(r->disconnected >= 1, "the kill was not noticed");

    mqtt_t *pub = new_client();
    CHECK_OK(mqtt_connect_to(pub, "127.0.0.1", b->port));
    CHECK_OK(mqtt_publish_message(pub, topic, 1, "after the restart"));
    end = now_s() + 15;
    while (received_from(r, topic, "after the restart") == 0 && now_s() < end) {
        mqtt_do_events(sub);
        mqtt_do_events(pub);
    }
    CHECK_MSG(received_from(r, topic, "after the restart") == 1,
              "the message published after the restart did not arrive (%d messages)", r->in);
    /* Back for good: no loop of reconnections. */
    pump(sub, 1.0);
    CHECK_MSG(c->ok == 2 && c->failed <= 5,
              "%d connections and %d failed attempts around one restart", c->ok, c->failed);
    CHECK(get_bool(mqtt_get_connected, sub));
    CHECK_OK(mqtt_disconnect(pub));
    CHECK_OK(mqtt_disconnect(sub));
}

/* ---- early_drop_backs_off ---- */

TEST(scenario_early_drop_backs_off) {
    int port = hostile_peer("early-drop");
    rec *r = new_rec();
    conns *c = t_malloc(sizeof *c);
    mqtt_t *m = new_client();
    rec_attach(m, r);
    CHECK_OK(mqtt_on_connected(m, count_connected, c));
    CHECK_OK(mqtt_config(m, "AutoReconnect=true", NULL));
    CHECK_OK(mqtt_config(m, "ReconnectMinDelay=100", NULL));
    CHECK_STR(config_get(m, "ReconnectStableTime"), "10000");
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", port));
    pump(m, 3.0);
    printf("     %d connections in 3 s (%d failed attempts)\n", c->ok, c->failed);
    CHECK_MSG(c->ok >= 2, "AutoReconnect did not reconnect (%d)", c->ok);
    CHECK_MSG(c->ok <= 8, "%d connections in 3 s: the backoff restarted after each CONNACK",
              c->ok);
}

/* ---- stall_detected_while_publishing ---- */

typedef struct drop {
    double at;
    int status;
    char desc[256];
} drop;

static void on_drop(mqtt_t *m, const mqtt_disconnected_event *e, void *ud) {
    (void)m;
    drop *d = ud;
    if (d->at > 0) return;
    d->at = now_s();
    d->status = e->status_code;
    snprintf(d->desc, sizeof d->desc, "%s", e->description);
}

TEST(scenario_stall_detected_while_publishing) {
    lone *b = lone_start();
    const char *topic = unique_topic("stall");
    drop *d = t_malloc(sizeof *d);
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_on_disconnected(m, on_drop, d));
    CHECK_OK(mqtt_set_keep_alive_interval(m, 2));
    /* Room for every publish of the loop in flight, so each one really goes out on the wire
     * (with the 3.1.1 window of 20 the rest would be held back and the client would idle
     * into a PINGREQ of its own: not the busy publisher this is about). */
    CHECK_OK(mqtt_config(m, "MaxInflight=1000", NULL));
    CHECK_OK(mqtt_connect_to(m, "127.0.0.1", b->port));
    CHECK_OK(mqtt_set_timeout(m, 0));

    kill(b->proc->pid, SIGSTOP); /* child_end sends SIGCONT and SIGKILL on every path */
    double frozen = now_s();
    /* A busy publisher: something goes out every 50 ms, so the client never idles into a
     * PINGREQ of its own. Each call also fires what is waiting, Disconnected included. */
    int sent = 0, rc = 0;
    while (d->at == 0 && now_s() < frozen + 20) {
        rc = mqtt_publish_message(m, topic, 1, "busy");
        if (rc != MQTT_OK && rc != MQTT_ERR_WOULD_BLOCK) break;
        sent++;
        usleep(50 * 1000);
    }
    double end = now_s() + 2;
    while (d->at == 0 && now_s() < end) mqtt_do_events(m);
    kill(b->proc->pid, SIGCONT);
    CHECK_MSG(d->at > 0, "still connected %.1f s after the freeze (%d published, last %d: %s)",
              now_s() - frozen, sent, rc, rc ? mqtt_last_error() : "");
    printf("     Disconnected %d %.2f s after the freeze, %d messages published: %s\n",
           d->status, d->at - frozen, sent, d->desc);
    CHECK_INT(d->status, MQTT_ERR_TIMEOUT);
    CHECK_MSG(d->at - frozen <= 8.0, "the frozen broker was noticed after %.2f s",
              d->at - frozen);
    CHECK(!get_bool(mqtt_get_connected, m));
}

/* ---- wait_check_interrupts ---- */

typedef struct stopper {
    atomic_int calls;     /* how often the check ran */
    atomic_int stop;      /* set by the other thread */
    atomic_int other_thread;
    pthread_t waiter;
    double stopped_at;
    bool by_signal;
} stopper;

static volatile sig_atomic_t sigint_seen;

static void on_sigint(int sig) {
    (void)sig;
    sigint_seen = 1;
}

static int check_stop(mqtt_t *m, void *ud) {
    (void)m;
    stopper *s = ud;
    atomic_fetch_add(&s->calls, 1);
    if (!pthread_equal(pthread_self(), s->waiter)) atomic_store(&s->other_thread, 1);
    return s->by_signal ? (int)sigint_seen : atomic_load(&s->stop);
}

/* The other thread: once the check has run (the call is waiting), ask to stop. */
static void *ask_to_stop(void *p) {
    stopper *s = p;
    double end = now_s() + 20;
    while (atomic_load(&s->calls) < 2 && now_s() < end) usleep(5 * 1000);
    s->stopped_at = now_s();
    if (s->by_signal) raise(SIGINT); /* this thread takes the signal; the check reads it */
    else atomic_store(&s->stop, 1);
    return NULL;
}

static void blocking_connect_stopped(bool by_signal) {
    int port = 0;
    silent_listener(&port);
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_timeout(m, 10));
    stopper *s = t_malloc(sizeof *s);
    s->waiter = pthread_self();
    s->by_signal = by_signal;
    sigint_seen = 0;
    CHECK_OK(mqtt_set_wait_check(m, check_stop, s));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, ask_to_stop, s) == 0);
    int rc = mqtt_connect_to(m, "127.0.0.1", port);
    double returned = now_s();
    pthread_join(t, NULL);
    CHECK_MSG(rc == MQTT_ERR_INTERRUPTED, "%s: Connect gave %d (%s)",
              by_signal ? "SIGINT" : "flag", rc, rc ? mqtt_last_error() : "");
    double dt = returned - s->stopped_at;
    printf("     %s: Connect returned 301 %.3f s after the stop\n",
           by_signal ? "SIGINT" : "flag", dt);
    CHECK_MSG(dt <= 1.0, "Connect returned %.2f s after the check said stop", dt);
    CHECK_MSG(atomic_load(&s->other_thread) == 0, "the check ran on another thread");
    CHECK(!get_bool(mqtt_get_connected, m));

    /* Removed, the check no longer ends anything: the same wait runs out its Timeout. */
    CHECK_OK(mqtt_set_wait_check(m, NULL, NULL));
    CHECK_OK(mqtt_set_timeout(m, 1));
    int calls = atomic_load(&s->calls);
    CHECK_CODE(mqtt_connect_to(m, "127.0.0.1", port), MQTT_ERR_TIMEOUT);
    CHECK_INT(atomic_load(&s->calls), calls);
}

static void restore_sigint(void *old) {
    sigaction(SIGINT, old, NULL);
}

TEST(scenario_wait_check_interrupts) {
    CHECK_CODE(mqtt_set_wait_check(NULL, check_stop, NULL), MQTT_ERR_INVALID_ARGUMENT);
    blocking_connect_stopped(false);

    /* The firmware's way: a SIGINT handler sets a flag, the check returns it. */
    struct sigaction sa = {0}, *old = t_malloc(sizeof *old);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGINT, &sa, old) == 0);
    t_defer(restore_sigint, old);
    blocking_connect_stopped(true);
    CHECK(sigint_seen == 1);
}

/* ---- inbound_size_limit ---- */

static void size_limit_v311(void) {
    const char *topic = unique_topic("limit311");
    rec *r = new_rec();
    mqtt_t *sub = new_client();
    rec_attach(sub, r);
    CHECK_STR(config_get(sub, "MaxIncomingPacketSize"), "67108864");
    CHECK_OK(mqtt_config(sub, "MaxIncomingPacketSize=1000", NULL));
    CHECK_STR(config_get(sub, "MaxIncomingPacketSize"), "1000");
    CHECK_OK(mqtt_connect_to(sub, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    CHECK_OK(mqtt_subscribe(sub, topic, 0));

    mqtt_t *pub = connected_client(NULL, MQTT_VERSION_311);
    static uint8_t big[2000];
    memset(big, 'x', sizeof big);
    CHECK_OK(mqtt_publish_data(pub, topic, 0, big, sizeof big));
    CHECK_MSG(wait_count(sub, &r->disconnected, 1, 15), "a 2000-byte message did not end it");
    CHECK_INT(r->disconnected_status, MQTT_ERR_PROTOCOL);
    CHECK_MSG(strstr(r->disconnected_desc, "1000") && has_number_at_least(r->disconnected_desc, 2000),
              "Disconnected says \"%s\": not both sizes", r->disconnected_desc);
    CHECK_INT(r->in, 0);
    CHECK_OK(mqtt_disconnect(pub));
}

static void size_limit_v5(void) {
    const char *topic = unique_topic("limit5");
    rec *r = new_rec();
    mqtt_t *sub = new_client();
    rec_attach(sub, r);
    CHECK_OK(mqtt_set_version(sub, MQTT_VERSION_5));
    CHECK_OK(mqtt_config(sub, "MaxIncomingPacketSize=1000", NULL));
    CHECK_OK(mqtt_connect_to(sub, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    CHECK_OK(mqtt_subscribe(sub, topic, 0));

    mqtt_t *pub = connected_client(NULL, MQTT_VERSION_5);
    static uint8_t big[2000];
    memset(big, 'x', sizeof big);
    CHECK_OK(mqtt_publish_data(pub, topic, 0, big, sizeof big));
    CHECK_OK(mqtt_publish_message(pub, topic, 0, "small"));
    /* The broker knows our limit: it drops the large one and sends the small one. */
    CHECK_MSG(wait_count(sub, &r->in, 1, 15), "the small message did not arrive");
    pump(sub, 0.3);
    CHECK_MSG(r->disconnected == 0, "dropped: %d %s", r->disconnected_status,
              r->disconnected_desc);
    CHECK_INT(r->in, 1);
    CHECK_STR(r->msg_in[0].text, "small");
    CHECK(get_bool(mqtt_get_connected, sub));
    CHECK_OK(mqtt_disconnect(pub));
    CHECK_OK(mqtt_disconnect(sub));
}

TEST(scenario_inbound_size_limit) {
    size_limit_v311();
    size_limit_v5();
}

/* ---- connack_session_present_on_clean_start ---- */

TEST(scenario_connack_session_present_on_clean_start) {
    int port = hostile_peer("connack-sp1");
    mqtt_t *v5 = new_client();
    CHECK_OK(mqtt_set_version(v5, MQTT_VERSION_5));
    CHECK(get_bool(mqtt_get_clean_session, v5));
    CHECK_CODE(mqtt_connect_to(v5, "127.0.0.1", port), MQTT_ERR_PROTOCOL);
    CHECK_ERR_HAS("MQTT-3.2.2-4");
    CHECK(!get_bool(mqtt_get_connected, v5));

    rec *r = new_rec();
    mqtt_t *v311 = new_client();
    rec_attach(v311, r);
    logbook *log = log_all(v311);
    CHECK_OK(mqtt_connect_to(v311, "127.0.0.1", port));
    pump(v311, 0.2);
    CHECK(get_bool(mqtt_get_connected, v311));
    CHECK_INT(r->disconnected, 0);
    CHECK_MSG(strstr(log->text, "Session Present") != NULL || strstr(log->text, "session present"),
              "no log line about the Session Present 1:\n%s", log->text);
    CHECK_OK(mqtt_disconnect(v311));
}

/* ---- empty_client_id_assigned ---- */

TEST(scenario_empty_client_id_assigned) {
    /* 5.0: the server assigns the id of a session kept after an empty ClientId. */
    mqtt_t *v5 = new_client();
    CHECK_OK(mqtt_set_version(v5, MQTT_VERSION_5));
    CHECK_OK(mqtt_set_clean_session(v5, false));
    CHECK_STR(get_str(mqtt_get_client_id, v5), "");
    CHECK_OK(mqtt_connect_to(v5, broker_host(), broker_port("FERROMQ_TEST_PORT")));
    char *id = get_str(mqtt_get_client_id, v5);
    CHECK_MSG(id[0] != 0, "ClientId is empty after the server assigned one");
    char *connack = config_get(v5, "ConnAckProperties");
    char want[512];
    snprintf(want, sizeof want, "\"AssignedClientIdentifier\":\"%s\"", id);
    CHECK_MSG(strstr(connack, want) != NULL, "ConnAckProperties %s lacks %s", connack, want);

    /* Connecting again while connected: 104, in those words. */
    CHECK_CODE(mqtt_connect_to(v5, broker_host(), broker_port("FERROMQ_TEST_PORT")),
               MQTT_ERR_ALREADY_CONNECTED);
    CHECK_ERR_HAS("already connected");
    CHECK(get_bool(mqtt_get_connected, v5));
    CHECK_OK(mqtt_disconnect(v5));

    /* 3.1.1 has no assigned ids: refused before anything reaches the server. */
    int port = 0;
    int fd = silent_listener(&port);
    mqtt_t *v311 = new_client();
    CHECK_OK(mqtt_set_clean_session(v311, false));
    CHECK_CODE(mqtt_connect_to(v311, "127.0.0.1", port), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_MSG(!listener_got_connection(fd), "a connection was made before refusing");
}

/* ---- non_minimal_length_v311 ---- */

TEST(scenario_non_minimal_length_v311) {
    int port = hostile_peer("nonminimal");
    rec *r = new_rec();
    mqtt_t *v311 = new_client();
    rec_attach(v311, r);
    CHECK_OK(mqtt_connect_to(v311, "127.0.0.1", port));
    CHECK_MSG(wait_count(v311, &r->in, 1, 15), "\"nm\" did not arrive (Disconnected %d %s)",
              r->disconnected_status, r->disconnected_desc ? r->disconnected_desc : "");
    CHECK_STR(r->msg_in[0].topic, "t/nm");
    CHECK_STR(r->msg_in[0].text, "nm");
    CHECK(get_bool(mqtt_get_connected, v311));
    CHECK_OK(mqtt_disconnect(v311));

    mqtt_t *v5 = new_client();
    CHECK_OK(mqtt_set_version(v5, MQTT_VERSION_5));
    CHECK_CODE(mqtt_connect_to(v5, "127.0.0.1", port), MQTT_ERR_MALFORMED);
    CHECK(!get_bool(mqtt_get_connected, v5));
}
