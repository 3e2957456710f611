/* LD_PRELOAD shim for bench/lock_instructions_vs_redisson.sh: redis-server reads the seed of its
 * hash function (and of its run id) from /dev/urandom at start; here it reads /dev/zero
 * instead. With a random seed, how often the command table's and the keyspace's lookups
 * collide changes from one server start to the next, and with it the instructions per command
 * (some 0.3% of a lock+release pair): a fixed seed makes two runs count alike. Never for a
 * server that anything else uses (its hash tables are then open to chosen collisions). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *instead(const char *path) {
    return strcmp(path, "/dev/urandom") == 0 ? "/dev/zero" : path;
}

FILE *fopen(const char *path, const char *mode) {
    static FILE *(*real)(const char *, const char *);
    if (!real) {
        real = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
    }
    return real(instead(path), mode);
}

FILE *fopen64(const char *path, const char *mode) {
    static FILE *(*real)(const char *, const char *);
    if (!real) {
        real = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen64");
    }
    return real(instead(path), mode);
}
