package group_redis;

import java.util.List;
import java.util.function.LongUnaryOperator;

/** A provider's instance changes ({@link ServiceProvider#subscribe()}). */
public final class InstanceSubscription extends NativeSubscription<InstancesChanged, List<Member>> {
    InstanceSubscription(NativeHandle connector, LongUnaryOperator opener) {
        super(connector, opener, InstancesChanged::fromJson, json -> Member.listFromJson(Json.decode(json)));
    }

    /**
     * The instances when the subscription started, sorted by id.
     *
     * @return an unmodifiable list
     */
    @Override
    public List<Member> snapshot() {
        return super.snapshot();
    }
}
