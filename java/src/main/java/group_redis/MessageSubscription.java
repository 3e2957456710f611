package group_redis;

/**
 * A member's messages ({@link Messages#listen()}): each message once, in send order per
 * sender, across a broken connection within the lease. The snapshot is the member id. See
 * {@link Subscription} for the pull and push forms.
 */
public final class MessageSubscription extends NativeSubscription<Message, String> {
    MessageSubscription(NativeHandle connector, String memberId) {
        super(connector, h -> NativeLib.listen(h, memberId), Message::fromJson,
                json -> (String) Json.asMap(Json.decode(json)).get("member_id"));
    }
}
