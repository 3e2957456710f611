/* The README's C quick start (tests/c/run.sh compiles and runs it). Build your own with:
 *   cc app.c $(pkg-config --cflags --libs group-redis)  (after scripts/install-c.sh; see README)
 */
#include <stdio.h>
#include <stdlib.h>

#include "group_redis.h"

int main(void) {
    const char *url = getenv("REDIS_URL") ? getenv("REDIS_URL") : "redis://127.0.0.1:6379";
    gr_options *options = NULL;
    gr_connector *conn = NULL;
    gr_options_new(&options);
    gr_options_set_group(options, "workers");
    gr_status status = gr_connect(url, options, &conn);
    gr_options_free(options);
    if (status != GR_OK) {
        fprintf(stderr, "connect: %s: %s\n", gr_status_name(status), gr_last_error());
        return 1;
    }
    gr_join(conn, NULL, "{\"port\":8080}", NULL); /* as <hostname>-<pid> */

    char *members = NULL; /* JSON array, freed with gr_string_free */
    if (gr_members(conn, &members) == GR_OK) {
        printf("members: %s\n", members);
        gr_string_free(members);
    }
    uint64_t token = 0; /* fencing token, 0 = not acquired */
    if (gr_try_lock(conn, "reindex", 5000, &token) == GR_OK && token != 0) {
        printf("holding reindex with fencing token %llu\n", (unsigned long long)token);
        gr_release(conn, "reindex");
    }
    gr_connector_close(conn); /* leaves, releases, deletes ephemeral keys */
    gr_connector_free(conn);
    return 0;
}
