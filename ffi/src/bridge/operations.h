
/* The operations on a connector, each defined once in ffi/src/ops (see
 * ffi/src/bridge/mod.rs); rendered by ffi/src/bridge/declarations.rs. */
#ifndef GROUP_REDIS_OPERATIONS_H
#define GROUP_REDIS_OPERATIONS_H

#ifdef __cplusplus
extern "C" {
#endif  // __cplusplus

/**
 * Closes the connector: every member it joined leaves (event reason "left"), every
 * lock it holds is released, its ephemeral keys are deleted, its heartbeat stops and
 * its subscriptions end. Idempotent: closing again returns GR_OK. Afterwards every call
 * on the handle except `gr_connector_state` and `gr_connector_free` fails with
 * GR_CLOSED.
 *
 * Thread-safety: safe while other threads use the handle (their calls fail with
 * GR_CLOSED or finish). Errors: GR_NULL_ARGUMENT; GR_CONNECTION / GR_TIMEOUT when the
 * clean leave could not be written (the connector is closed anyway; the session then
 * expires after its lease).
 */
enum gr_status gr_connector_close(const struct gr_connector *conn);

/**
 * Writes the connection state to `*state_out` (CONNECTED, SUSPENDED, LOST or CLOSED;
 * never RECONNECTED, which is only an event). Answers locally without I/O; works after
 * close.
 * Errors: GR_NULL_ARGUMENT.
 */
enum gr_status gr_connector_state(const struct gr_connector *conn,
                                  enum gr_connection_state *state_out);

/**
 * Writes the current session id (32 hex digits; it changes when a lost session is
 * replaced) to `*session_id_out`.
 * Ownership: free `*session_id_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_CLOSED.
 */
enum gr_status gr_connector_session_id(const struct gr_connector *conn, char **session_id_out);

/**
 * Writes the configured member id (used when a member argument is NULL) to
 * `*member_id_out`.
 * Ownership: free `*member_id_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_CLOSED.
 */
enum gr_status gr_connector_member_id(const struct gr_connector *conn, char **member_id_out);

/**
 * Writes the connector's sub-groups as a JSON array of strings to
 * `*sub_groups_json_out`. Answers locally.
 * Ownership: free `*sub_groups_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_CLOSED.
 */
enum gr_status gr_sub_groups(const struct gr_connector *conn, char **sub_groups_json_out);

/**
 * Adds `sub_group` to the connector's sub-groups and updates every member it joined.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_add_sub_group(const struct gr_connector *conn, const char *sub_group);

/**
 * Removes `sub_group` from the connector's sub-groups and updates every member it
 * joined.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_remove_sub_group(const struct gr_connector *conn, const char *sub_group);

/**
 * What could not be restored when a lost session was replaced (a member id or
 * ephemeral key another process took meanwhile), oldest first, as a JSON array of
 * `{"kind":"member"|"ephemeral","name":…,"error":…}`; the list is emptied. Filled
 * before RECONNECTED is delivered, so a state callback may call this on RECONNECTED.
 * Ownership: free `*failures_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_CLOSED.
 */
enum gr_status gr_take_restore_failures(const struct gr_connector *conn, char **failures_json_out);

/**
 * Joins the group as `member_id` (NULL: the configured member id) with the
 * connector's sub-groups and `payload_json` (NULL: the configured payload). Joining
 * again with the same id updates the record. If `member_json_out` is not NULL it
 * receives the member as JSON: {"id","sub_groups":[...],"payload","joined_at" (ms,
 * Redis time),"session"}.
 * Ownership: free `*member_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT (conn), GR_INVALID_ARGUMENT (empty, oversized, not UTF-8,
 * payload over 64 KiB), GR_INVALID_JSON, GR_MEMBER_EXISTS (another live session holds
 * the id), GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
 */
enum gr_status gr_join(const struct gr_connector *conn,
                       const char *member_id,
                       const char *payload_json,
                       char **member_json_out);

/**
 * Leaves the group as `member_id` (NULL: the configured member id). `*left_out` (may
 * be NULL) is false when this connector was not that member.
 * Errors: GR_NULL_ARGUMENT (conn), GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION,
 * GR_TIMEOUT.
 */
enum gr_status gr_leave(const struct gr_connector *conn, const char *member_id, bool *left_out);

/**
 * Writes every live member of the group, sorted by id, to `*members_json_out` as a
 * JSON array of member objects (see `gr_join`). One round trip for any group size.
 * Ownership: free `*members_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_PROTOCOL.
 */
enum gr_status gr_members(const struct gr_connector *conn, char **members_json_out);

/**
 * Replaces the payload of `member_id` (NULL: the configured member id), which this
 * connector joined; subscribers see an update event.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not joined here, too large),
 * GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_update_payload(const struct gr_connector *conn,
                                 const char *member_id,
                                 const char *payload_json);

/**
 * The general acquire: `member` NULL means the configured member id; `reentrant`
 * lets a holder take the lock again (one more hold, same token); `wait_ms` 0 tries
 * once, otherwise waits up to that long for a release (woken by the holder's release,
 * with the holder's lease deadline as fallback; no polling).
 *
 * On GR_OK, `*token_out` is the fencing token (>= 1, strictly increasing per lock
 * name across the group's lifetime) or 0 when the lock was not acquired (held by
 * someone else, or by this member with `reentrant` false).
 * Thread-safety: safe from many threads; each call blocks only its own thread.
 * Errors: GR_NULL_ARGUMENT (conn, name, token_out), GR_INVALID_ARGUMENT (empty,
 * oversized, not UTF-8), GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
 */
enum gr_status gr_acquire(const struct gr_connector *conn,
                          const char *member,
                          const char *name,
                          bool reentrant,
                          uint64_t wait_ms,
                          uint64_t *token_out);

/**
 * Takes the exclusive lock `name` as the configured member without waiting. Not
 * re-entrant: a second call by the same member gives token 0. See `gr_acquire` for
 * the token, thread-safety and errors.
 */
enum gr_status gr_lock(const struct gr_connector *conn, const char *name, uint64_t *token_out);

/**
 * `gr_lock` on behalf of `member` (required; the seed API's lock(conn, member,
 * name)). See `gr_acquire`.
 */
enum gr_status gr_lock_as(const struct gr_connector *conn,
                          const char *member,
                          const char *name,
                          uint64_t *token_out);

/**
 * Takes `name` re-entrantly as the configured member without waiting: a holder
 * taking it again adds a hold (same token); each `gr_release` removes one, and the
 * lock is freed at zero. See `gr_acquire`.
 */
enum gr_status gr_reentrant_lock(const struct gr_connector *conn,
                                 const char *name,
                                 uint64_t *token_out);

/**
 * `gr_reentrant_lock` on behalf of `member` (required). See `gr_acquire`.
 */
enum gr_status gr_reentrant_lock_as(const struct gr_connector *conn,
                                    const char *member,
                                    const char *name,
                                    uint64_t *token_out);

/**
 * Takes the exclusive lock `name` as the configured member, waiting up to `wait_ms`
 * for it. `*token_out` is 0 when the time ran out. See `gr_acquire`.
 */
enum gr_status gr_try_lock(const struct gr_connector *conn,
                           const char *name,
                           uint64_t wait_ms,
                           uint64_t *token_out);

/**
 * Releases one hold of `name` taken by `member` (NULL: the configured member) of
 * this connector's session. Waiters are woken when the last hold goes.
 * Errors: GR_LOCK_NOT_HELD when this member of this session does not hold it (nothing
 * changed), GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION,
 * GR_TIMEOUT.
 * Thread-safety: safe from many threads.
 */
enum gr_status gr_release_member(const struct gr_connector *conn,
                                 const char *member,
                                 const char *name);

/**
 * Releases one hold of `name` taken as the configured member. See
 * `gr_release_member`.
 */
enum gr_status gr_release(const struct gr_connector *conn, const char *name);

/**
 * Releases one hold of `name` taken on behalf of `member` (required). See
 * `gr_release_member`.
 */
enum gr_status gr_release_as(const struct gr_connector *conn, const char *member, const char *name);

/**
 * Writes whether this connector holds `name` with a lease still good to `*held_out`.
 * Answers locally without I/O; false from the moment the lease may have run out
 * (LOST).
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
 * GR_CLOSED.
 */
enum gr_status gr_is_held(const struct gr_connector *conn, const char *name, bool *held_out);

/**
 * Writes the fencing token of `name` if this connector holds it (see `gr_is_held`),
 * else 0, to `*token_out`. Answers locally without I/O.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
 * GR_CLOSED.
 */
enum gr_status gr_held_token(const struct gr_connector *conn,
                             const char *name,
                             uint64_t *token_out);

/**
 * Writes who holds `name` now, read from Redis (any connector may ask about any
 * lock), to `*holder_json_out` as JSON {"member": ..., "session": ..., "token": n},
 * or NULL when the lock is free. A holder whose lease has run out is not reported.
 * Ownership: free `*holder_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
 * GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_lock_holder(const struct gr_connector *conn,
                              const char *name,
                              char **holder_json_out);

/**
 * Writes what Redis says of `name` to `*status_json_out` as JSON {"holder": {...} or
 * null, "grants_held_until_ms": n or null}: the holder as `gr_lock_holder` reports
 * it, and, when the lock is free but no lock of the group is granted yet (Redis lost
 * or rolled back the group's state: a restart grace), the server time in ms since the
 * Unix epoch from which grants resume. `gr_lock` reports not-acquired until then.
 * Ownership: free `*status_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
 * GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_lock_status(const struct gr_connector *conn,
                              const char *name,
                              char **status_json_out);

/**
 * Sets the ephemeral `key` to the JSON `value_json`, replacing this session's earlier
 * value. The key is deleted when the session ends (close, crash, lease run out) and is
 * re-created if the connector has to start a new session.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized key or value over
 * 16 MiB, not UTF-8), GR_INVALID_JSON, GR_KEY_OWNED (another live session owns it),
 * GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
 */
enum gr_status gr_ephemeral_set(const struct gr_connector *conn,
                                const char *key,
                                const char *value_json);

/**
 * Writes the JSON value of the ephemeral `key` (this session's or another live
 * one's) to `*value_json_out`, or NULL when the key does not exist.
 * Ownership: free `*value_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_ephemeral_get(const struct gr_connector *conn,
                                const char *key,
                                char **value_json_out);

/**
 * Deletes this session's ephemeral `key`; `*deleted_out` (may be NULL) is false when it
 * did not exist.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_ephemeral_delete(const struct gr_connector *conn,
                                   const char *key,
                                   bool *deleted_out);

/**
 * Writes every live ephemeral key starting with `prefix` (NULL or "": all) with its
 * value to `*entries_json_out` as one JSON object {"key": value, ...}, keys sorted.
 * Ownership: free `*entries_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
 * GR_PROTOCOL.
 */
enum gr_status gr_ephemeral_list(const struct gr_connector *conn,
                                 const char *prefix,
                                 char **entries_json_out);

/**
 * Sets the persistent `path` to the JSON `value_json`; `*version_out` (may be NULL)
 * receives the new version (1 after the first write, +1 per write).
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized path or value over
 * 16 MiB, not UTF-8), GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_persistent_set(const struct gr_connector *conn,
                                 const char *path,
                                 const char *value_json,
                                 uint64_t *version_out);

/**
 * Sets many paths in one atomic step. `entries_json` is a JSON array of
 * `[path, value]` pairs; `*versions_json_out` (may be NULL) receives the new versions
 * as a JSON array in the same order. Either every path is written or none.
 * Ownership: free `*versions_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not pairs, a bad path or value),
 * GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_persistent_set_many(const struct gr_connector *conn,
                                      const char *entries_json,
                                      char **versions_json_out);

/**
 * Compare-and-set: writes the JSON `value_json` to `path` only if its current version
 * is `expected_version` (0: the path must not exist). `*new_version_out` receives the
 * new version, or 0 when the version did not match (nothing was written).
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_INVALID_JSON, GR_CLOSED,
 * GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_persistent_cas(const struct gr_connector *conn,
                                 const char *path,
                                 uint64_t expected_version,
                                 const char *value_json,
                                 uint64_t *new_version_out);

/**
 * Writes the persistent `path` as JSON {"value": ..., "version": n} to
 * `*versioned_json_out`, or NULL when the path does not exist.
 * Ownership: free `*versioned_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
 * GR_PROTOCOL.
 */
enum gr_status gr_persistent_get(const struct gr_connector *conn,
                                 const char *path,
                                 char **versioned_json_out);

/**
 * Deletes the persistent `path`; `*deleted_out` (may be NULL) is false when it did not
 * exist.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
 */
enum gr_status gr_persistent_delete(const struct gr_connector *conn,
                                    const char *path,
                                    bool *deleted_out);

/**
 * Writes every persistent entry whose path starts with `prefix` (NULL or "": all) to
 * `*entries_json_out` as a JSON array of {"path","value","version"}, sorted by path.
 * Uses the group's index, never a keyspace scan.
 * Ownership: free `*entries_json_out` with `gr_string_free`.
 * Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
 * GR_PROTOCOL.
 */
enum gr_status gr_persistent_list(const struct gr_connector *conn,
                                  const char *prefix,
                                  char **entries_json_out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* GROUP_REDIS_OPERATIONS_H */
