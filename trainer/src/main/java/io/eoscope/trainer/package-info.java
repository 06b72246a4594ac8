/**
 * The trainer service: datasets, models and the three solvers, wired to Kafka by a verticle. Its code
 * arrives with the trainer issue; the module exists now so that the build layout is final.
 */
package io.eoscope.trainer;
