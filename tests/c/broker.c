/* A mosquitto of a test's own (see runner.h): started, frozen, killed and restarted by the
 * tests that need it. The shared broker of tests/harness/with-brokers is never touched. */
#define _GNU_SOURCE
#include "runner.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct private_broker {
    int port;
    pid_t pid; /* 0 when not running */
    char dir[128];
    char conf[192];
};

static const char *mosquitto_path(void) {
    static const char *const candidates[] = {"/usr/sbin/mosquitto", "/usr/bin/mosquitto",
                                             "/usr/local/sbin/mosquitto"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], X_OK) == 0) return candidates[i];
    return "mosquitto"; /* posix_spawnp searches PATH */
}

static bool accepts(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void reap(private_broker *b) {
    if (b->pid <= 0) return;
    kill(b->pid, SIGCONT);
    kill(b->pid, SIGKILL);
    while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    b->pid = 0;
}

/* Start mosquitto on b->port; true once it accepts connections. */
static bool spawn_broker(private_broker *b) {
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return false;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)"mosquitto", (char *)"-c", b->conf, NULL};
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, mosquitto_path(), &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    b->pid = pid;
    double end = now_s() + 5;
    while (now_s() < end) {
        if (accepts(b->port)) return true;
        if (waitpid(pid, NULL, WNOHANG) == pid) { /* it exited: the port was taken */
            b->pid = 0;
            return false;
        }
        usleep(20 * 1000);
    }
    reap(b);
    return false;
}

/* A test's own flat directory and the files in it (brokers' stores, session files). */
void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void stop_broker(void *p) {
    private_broker *b = p;
    reap(b);
    remove_dir(b->dir);
    free(b);
}

private_broker *broker_start(void) {
    private_broker *b = calloc(1, sizeof *b);
    CHECK(b != NULL);
    snprintf(b->dir, sizeof b->dir, "/tmp/ferromq-cbroker-XXXXXX");
    if (!mkdtemp(b->dir)) {
        free(b);
        CHECK_MSG(false, "mkdtemp failed: errno %d", errno);
    }
    t_defer(stop_broker, b);
    snprintf(b->conf, sizeof b->conf, "%s/mosquitto.conf", b->dir);
    for (int attempt = 0; attempt < 5; attempt++) {
        b->port = free_port();
        FILE *f = fopen(b->conf, "w");
        CHECK_MSG(f != NULL, "cannot write %s", b->conf);
        fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\nuser root\n"
                   "max_queued_messages 100000\n", b->port);
        fclose(f);
        if (spawn_broker(b)) return b;
    }
    CHECK_MSG(false, "cannot start a private mosquitto (%s)", mosquitto_path());
    return NULL; /* not reached */
}

int broker_port_of(const private_broker *b) { return b->port; }

void broker_pause(private_broker *b) {
    if (b->pid > 0) kill(b->pid, SIGSTOP);
}

void broker_resume(private_broker *b) {
    if (b->pid > 0) kill(b->pid, SIGCONT);
}

void broker_kill(private_broker *b) { reap(b); }

void broker_restart(private_broker *b) {
    reap(b);
    double end = now_s() + 10;
    while (now_s() < end) {
        if (spawn_broker(b)) return;
        usleep(100 * 1000);
    }
    CHECK_MSG(false, "mosquitto did not come back on port %d", b->port);
}

const char *broker_file(const private_broker *b, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", b->dir, name);
    return t_strdup(path);
}
