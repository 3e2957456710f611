package group_redis;

/**
 * Nothing can be granted now because the session's lease is in doubt: a heartbeat failed
 * (state SUSPENDED). The session has not expired; retrying once the state is CONNECTED again
 * is reasonable. (Once the lease ran out locally, LOST, the error is
 * {@link SessionExpiredException}.)
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
