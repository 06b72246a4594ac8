/**
 * The analyzer service: consumes snapshots from Kafka and runs the curvature engine of module
 * eoscope-curvature on them. Its verticle arrives with the streaming issue.
 */
package io.eoscope.analyzer;
