/**
 * The gateway service: Prometheus metrics, the REST/SSE API and the live web page, rebuilt from the
 * {@code runs}, {@code telemetry} and {@code metrics} topics. It depends on the wire module only (typed,
 * versioned records; no analyzer, no DJL): {@link io.eoscope.gateway.ViewConsumer} admits only valid records
 * into the {@link io.eoscope.gateway.RunsView} (the others are counted, logged and dead-lettered),
 * {@link io.eoscope.gateway.GatewayVerticle} wires the HTTP routes, {@code /health} and {@code /ready}, and
 * publishes replay requests on the {@code replays} topic for analyzers to serve.
 */
package io.eoscope.gateway;
