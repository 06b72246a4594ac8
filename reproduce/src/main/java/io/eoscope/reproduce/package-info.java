/**
 * {@code eos reproduce}: runs the paper's five experiments through the real streaming pipeline (a Kafka
 * broker, trainer verticles, analyzer verticles in a consumer group), reads their telemetry and metrics
 * back from Kafka, judges the paper's claims (docs/science.md#the-papers-claims) against stated criteria and writes the report.
 */
package io.eoscope.reproduce;
