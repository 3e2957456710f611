// Compiles the committed header as C++ (g++ -Wall -Wextra -Werror -pedantic) and links a
// call through it, which checks the extern "C" guards and that every declaration is valid
// C++.
#include "group_redis.h"

#include <cstdio>
#include <cstring>

namespace {
void on_event(const char *event_json, void *user_data) {
    (void)event_json;
    (void)user_data;
}
void destroy(void *user_data) { (void)user_data; }
void on_log(gr_log_level level, const char *target, const char *message, void *user_data) {
    (void)level;
    (void)target;
    (void)message;
    (void)user_data;
}
}  // namespace

int main() {
    // Callback types accept plain C++ functions with C-compatible signatures.
    gr_event_callback event_callback = on_event;
    gr_destroy_callback destroy_callback = destroy;
    (void)event_callback;
    (void)destroy_callback;
    gr_subscription *subscription = nullptr;
    if (gr_subscription_next(subscription, 0, nullptr) != GR_NULL_ARGUMENT) {
        return 1;
    }
    if (gr_set_log_callback(on_log, nullptr, GR_LOG_WARN) != GR_OK ||
        gr_set_log_callback(nullptr, nullptr, GR_LOG_WARN) != GR_OK) {
        return 1;
    }
    gr_connector *conn = nullptr;
    gr_status status = gr_connect(nullptr, nullptr, &conn);
    if (status != GR_NULL_ARGUMENT || conn != nullptr) {
        std::printf("FAIL c++: unexpected %s\n", gr_status_name(status));
        return 1;
    }
    std::printf("c++: header compiles and links, library %s\n", gr_version());
    return std::strcmp(gr_version(), "") == 0;
}
