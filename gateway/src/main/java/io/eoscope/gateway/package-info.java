/**
 * The gateway service: Prometheus metrics, REST/SSE API and the live web page. Its code arrives with
 * the gateway issue.
 */
package io.eoscope.gateway;
