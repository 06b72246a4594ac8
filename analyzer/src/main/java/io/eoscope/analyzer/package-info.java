/**
 * The analyzer service: consumes snapshots from Kafka and runs the curvature engine on them
 * ({@link io.eoscope.analyzer.AnalyzerLoop}, plain Java), wired to Vert.x by {@link io.eoscope.analyzer.AnalyzerVerticle}.
 */
package io.eoscope.analyzer;
