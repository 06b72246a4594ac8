package io.eoscope.reproduce;

import io.eoscope.wire.KafkaSettings;

/** The Kafka a reproduction runs through, as the command line's Kafka options give it. */
public interface KafkaAccess {
    /** The cluster the user named, or null: the reproduction starts a broker in this process. */
    String bootstrapServersGiven();

    /** The client settings, with {@code bootstrap} (the in-process broker's) when no cluster was named. */
    KafkaSettings settings(String bootstrap);

    /**
     * Reaches the cluster within the configured timeout and creates the topics that are missing.
     *
     * @throws io.eoscope.wire.BrokerUnreachableException when the cluster does not answer in time
     */
    void createTopics(KafkaSettings settings, String clientId) throws InterruptedException;
}
