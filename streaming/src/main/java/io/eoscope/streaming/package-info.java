/** The Kafka wire format of eoscope: topics, chunked snapshot and dataset records, metrics and telemetry. */
package io.eoscope.streaming;
