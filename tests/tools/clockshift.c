/*
 * LD_PRELOAD shim that shifts a process's wall clock, for clock-step fault tests:
 *
 *   GR_CLOCK_OFFSET_FILE=/tmp/offset LD_PRELOAD=./libclockshift.so redis-server ...
 *   echo 5000 > /tmp/offset      # the wall clock of that process jumps 5 s forward
 *
 * The file holds a signed offset in milliseconds; it is re-read at most every 10 ms of
 * monotonic time, so a test can step the clock while the process runs. Only the wall
 * clock moves (gettimeofday, time, CLOCK_REALTIME*); CLOCK_MONOTONIC is untouched, as in a
 * real NTP step. Built by the test harness with the system C compiler.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static long long offset_ms;
static struct timespec last_read;

static void load_real(void) {
    if (!real_clock_gettime) {
        real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    }
}

static long long current_offset_ms(void) {
    struct timespec now;
    load_real();
    real_clock_gettime(CLOCK_MONOTONIC, &now);
    long long since = (now.tv_sec - last_read.tv_sec) * 1000LL + (now.tv_nsec - last_read.tv_nsec) / 1000000LL;
    if (last_read.tv_sec == 0 || since >= 10) {
        const char *path = getenv("GR_CLOCK_OFFSET_FILE");
        FILE *file = path ? fopen(path, "r") : NULL;
        if (file) {
            long long value;
            if (fscanf(file, "%lld", &value) == 1) offset_ms = value;
            fclose(file);
        }
        last_read = now;
    }
    return offset_ms;
}

static void shift(struct timespec *ts) {
    long long ns = ts->tv_nsec + (current_offset_ms() % 1000) * 1000000LL;
    ts->tv_sec += current_offset_ms() / 1000 + ns / 1000000000LL;
    ns %= 1000000000LL;
    if (ns < 0) { ns += 1000000000LL; ts->tv_sec -= 1; }
    ts->tv_nsec = ns;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    load_real();
    int result = real_clock_gettime(clock, ts);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) shift(ts);
    return result;
}

int gettimeofday(struct timeval *tv, void *tz) {
    struct timespec ts;
    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    tv->tv_sec = ts.tv_sec; /* glibc declares tv non-null */
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
