package io.eoscope.reproduce;

import io.eoscope.trainer.run.RunConfig;

/**
 * One training run of the reproduction.
 *
 * @param id its stable name in the output directory ({@code runs/<id>}); the Kafka run name adds a
 *     per-attempt suffix, so that an interrupted attempt's records never mix with a new one's
 * @param experiment which experiment it belongs to (1 or 5)
 * @param label how figures name it
 * @param config the run's configuration (its run name is replaced per attempt)
 * @param duration the continuous time it trains for (progress)
 */
record RunSpec(String id, int experiment, String label, RunConfig config, double duration) {

    /** L, the number of affine layers. */
    int layers() {
        return config.architecture().split("-").length - 1;
    }

    /** The configuration with the attempt's run name. */
    RunConfig named(String run) {
        return config.withRun(run);
    }
}
