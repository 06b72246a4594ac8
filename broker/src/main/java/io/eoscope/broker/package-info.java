/**
 * A single-node KRaft Kafka broker (combined broker and controller) inside the JVM, for {@code eos broker},
 * {@code eos demo}, {@code eos reproduce} and the integration tests. No service depends on this package: each takes
 * a bootstrap address like any other Kafka client.
 */
package io.eoscope.broker;
