package io.eoscope.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fleet harness at R = 100 against real processes (an {@code eos broker}, an {@code eos analyzer}, an {@code eos
 * gateway}, each in a JVM of its own): nothing is lost. Every published snapshot is shown analysed by the gateway's API,
 * every run is listed and says it finished, and no API request failed. (Two snapshots a run, 200 in all, at 50 a second;
 * about a minute on 2 cores. The figures themselves are the benchmark's, not asserted here.)
 */
@Tag("integration")
class FleetBenchTest {

    @Test
    void aHundredRunsLoseNothing() throws Exception {
        FleetBench bench = new FleetBench();
        assertThat(BenchCli.parse(new String[] {"--runs", "100", "--rate", "50", "--seconds", "4", "--analyzers", "1",
            "--prometheus", "none", "--drain-seconds", "300"}, bench, () -> bench)).isSameAs(bench);
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        JsonObject results = bench.run(new PrintStream(progress, true, StandardCharsets.UTF_8));
        JsonObject level = results.getAsJsonArray("levels").get(0).getAsJsonObject();
        String log = progress.toString(StandardCharsets.UTF_8);
        assertThat(level.get("snapshots_published").getAsLong()).as(log).isEqualTo(200);
        assertThat(level.get("snapshots_served").getAsLong()).as(log).isEqualTo(200);
        assertThat(level.get("snapshots_lost").getAsLong()).as(log).isZero();
        assertThat(level.get("runs_listed").getAsInt()).isEqualTo(100);
        assertThat(level.get("runs_finished").getAsLong()).isEqualTo(100);
        assertThat(level.get("api_errors").getAsLong()).as(level.toString()).isZero();
        assertThat(level.get("analyses").getAsDouble()).as("every snapshot analysed at least once").isGreaterThanOrEqualTo(200);
        assertThat(level.get("broker_bytes_per_snapshot").getAsDouble()).as("a 4-8-2 float64 snapshot on disk").isBetween(500.0, 2000.0);
        assertThat(level.get("staleness_p95_s").getAsDouble()).isPositive();
    }
}
