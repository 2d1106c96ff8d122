/* The runner: runs every registered test (or those named on the command line), prints one
 * line per test and ends with "N passed, M failed". Exit status 1 if any failed. */
#define _GNU_SOURCE
#include "runner.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 256
#define MAX_DEFER 256

typedef struct { const char *name; test_fn fn; } test_entry;
static test_entry tests[MAX_TESTS];
static int n_tests;

static jmp_buf test_jump;
static const char *current;
static bool current_failed;
static char failure[1024];

typedef struct { void (*fn)(void *); void *arg; } deferred;
static deferred defers[MAX_DEFER];
static int n_defers;

void register_test(const char *name, test_fn fn) {
    if (n_tests == MAX_TESTS) { fprintf(stderr, "too many tests\n"); exit(2); }
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    n_tests++;
}

static void vnote(const char *file, int line, const char *fmt, va_list ap) {
    if (current_failed) return; /* keep the first failure: it is the cause */
    current_failed = true;
    int n = snprintf(failure, sizeof failure, "%s:%d: ", file, line);
    if (n > 0 && (size_t)n < sizeof failure) vsnprintf(failure + n, sizeof failure - n, fmt, ap);
}

void t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vnote(file, line, fmt, ap);
    va_end(ap);
    longjmp(test_jump, 1);
}

void t_note_failure(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vnote(file, line, fmt, ap);
    va_end(ap);
}

void t_defer(void (*fn)(void *), void *arg) {
    if (n_defers == MAX_DEFER) { fprintf(stderr, "too many deferred calls\n"); exit(2); }
    defers[n_defers].fn = fn;
    defers[n_defers].arg = arg;
    n_defers++;
}

void t_forget(void *arg) {
    for (int i = 0; i < n_defers; i++)
        if (defers[i].arg == arg) defers[i].fn = NULL;
}

static void run_defers(void) {
    while (n_defers > 0) {
        deferred d = defers[--n_defers];
        if (d.fn) d.fn(d.arg);
    }
}

void *t_malloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    t_defer(free, p);
    return p;
}

char *t_strdup(const char *s) {
    char *p = t_malloc(strlen(s) + 1);
    strcpy(p, s);
    return p;
}

double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_tests(const void *a, const void *b) {
    return strcmp(((const test_entry *)a)->name, ((const test_entry *)b)->name);
}

static void on_alarm(int sig) {
    (void)sig;
    /* Only async-signal-safe calls here: the test is stuck, report and leave. */
    static const char msg[] = "FAIL (timed out; see the test named above)\n";
    if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
    _exit(1);
}

static bool selected(const char *name, int argc, char **argv) {
    if (argc <= 1) return true;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return true;
    return false;
}

int main(int argc, char **argv) {
    /* Output goes to a pipe in CI: no buffering, so a crash still shows the last test. */
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGALRM, on_alarm);
    const char *limit_env = getenv("FERROMQ_C_TEST_TIMEOUT");
    unsigned limit = limit_env ? (unsigned)atoi(limit_env) : 120;

    qsort(tests, n_tests, sizeof tests[0], cmp_tests);
    int passed = 0, failed = 0;
    for (int i = 0; i < n_tests; i++) {
        if (!selected(tests[i].name, argc, argv)) continue;
        current = tests[i].name;
        current_failed = false;
        failure[0] = 0;
        printf("RUN  %s\n", current);
        double t0 = now_s();
        alarm(limit);
        if (setjmp(test_jump) == 0) tests[i].fn();
        run_defers();
        alarm(0);
        double dt = now_s() - t0;
        if (current_failed) {
            failed++;
            printf("FAIL %s (%.2f s): %s\n", current, dt, failure);
        } else {
            passed++;
            printf("ok   %s (%.2f s)\n", current, dt);
        }
    }
    /* Connections freed while connected close in the background; give them a moment so a
     * leak check at exit sees their memory released rather than still in use. */
    usleep(1000 * 1000);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
