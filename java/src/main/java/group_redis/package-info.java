/**
 * Group coordination over Redis: membership with events, locks with fencing tokens,
 * ephemeral data that dies with its owner, persistent data, and connection states.
 *
 * <p>Start with {@link group_redis.GroupConnector} and {@link group_redis.GroupConfig}; every
 * blocking call of the connector has a {@code CompletableFuture} variant ({@code ...Async}).
 * {@link group_redis.RedisConn} keeps the static API of the original Clojure library for
 * existing callers. Every call goes through the Rust core (libgroup_redis, shipped inside
 * this jar and loaded on first use; see the system property {@code group_redis.native.path}
 * to load another copy). Java, Python, C and Rust members of one group see each other and
 * share its locks.
 *
 * <p>Maven coordinates {@code io.github.group-redis:group-redis}; module name (on the module
 * path) {@code io.github.group_redis}. The package is {@code group_redis}, as in the seed
 * library, so code importing {@code group_redis.RedisConn} compiles unchanged.
 */
package group_redis;
