package group_redis;

/**
 * Nothing can be granted now because the session's lease is in doubt: a heartbeat failed
 * (state SUSPENDED) or the lease ran out locally and the connector is replacing the session.
 * The session has not necessarily expired; retrying once the state is CONNECTED again is
 * reasonable.
 */
public class LeaseInDoubtException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public LeaseInDoubtException(String message) {
        super(message);
    }
}
