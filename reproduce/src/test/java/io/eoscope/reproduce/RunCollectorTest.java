package io.eoscope.reproduce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.curvature.spectrum.DensityGrid;

import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The density and trace tables of a run's metrics records (plain JSON in, CSV out, bounded); on a real broker in the
 * JVM (integration): a run's dead-lettered snapshot is seen at once (not after the stall timeout).
 */
class RunCollectorTest {
    @TempDir
    Path dir;

    /** A metrics record as the analyzers publish it (docs/contracts.md#eos-analyze-json), density and trace optional. */
    private static JsonObject record(long step, double[] curve, String failure, boolean trace) {
        JsonObject o = new JsonObject();
        o.addProperty("run", "mine");
        o.addProperty("analysis_id", "reproduce");
        o.addProperty("step", step);
        o.addProperty("time", step * 0.1);
        if (curve != null || failure != null) {
            JsonObject h = new JsonObject();
            h.addProperty("probes", 4);
            h.addProperty("steps", 32);
            h.addProperty("products", 128);
            if (curve != null) {
                JsonArray a = new JsonArray();
                for (double v : curve) {
                    if (Double.isFinite(v)) {
                        a.add(v);
                    } else {
                        a.add(JsonNull.INSTANCE); // non-finite numbers are null on the wire
                    }
                }
                h.add("curve", a);
            }
            if (failure != null) {
                h.addProperty("failure", failure);
            }
            JsonObject d = new JsonObject();
            d.add("hessian", h);
            o.add("density", d);
        }
        if (trace) {
            JsonObject t = JsonParser.parseString("""
                    {"hessian": {"value": 12.5, "interval": [11.75, 13.25], "coverage": 0.95, "method": "hutch++",
                                 "products": 30, "probes": 10},
                     "gauss_newton": {"value": 10.0, "interval": [10.0, 10.0], "coverage": 1.0, "method": "exact",
                                      "products": 0, "gradient_equivalents": 10},
                     "gauss_newton_share": 0.8, "top_share": {"hessian": 0.5, "gauss_newton": null}}
                    """).getAsJsonObject();
            t.getAsJsonObject("hessian").addProperty("value", 12.5 + step);
            o.add("trace", t);
        }
        return o;
    }

    private static double[] curve(double lambda) {
        return DensityGrid.smooth(new double[] {0, lambda}, new double[] {0.9, 0.1});
    }

    @Test
    void densityAndTraceRecordsBecomeCsvRowsOnTheGrid() throws Exception {
        SpectrumTables t = new SpectrumTables(100);
        t.add(record(0, curve(7), null, true));
        t.add(record(10, null, null, false)); // a light snapshot: nothing
        t.add(record(20, null, "Lanczos broke down on probe 2", false));
        double[] withNull = curve(3);
        withNull[5] = Double.NaN;
        t.add(record(40, withNull, null, false));
        t.add(record(30, curve(9), null, true));
        t.add(record(0, curve(8), null, true)); // re-delivered with other numbers: the later one stands

        Path file = dir.resolve("density.csv");
        t.density().write(file);
        Csv csv = Csv.read(file);

        assertThat(csv.columns()).hasSize(5 + DensityGrid.POINTS);
        assertThat(csv.columns().subList(0, 5)).containsExactly("step", "time", "probes", "lanczos_steps", "products");
        for (int i = 0; i < DensityGrid.POINTS; i++) {
            String header = csv.columns().get(5 + i);
            assertThat(header).startsWith("u=");
            assertThat(Double.parseDouble(header.substring(2))).isCloseTo(DensityGrid.point(i), within(1e-12));
        }
        assertThat(csv.columns().get(5)).isEqualTo("u=-7.0");
        assertThat(csv.columns().get(5 + 140)).isEqualTo("u=7.0");
        assertThat(csv.numbers("step")).containsExactly(0, 30);
        assertThat(csv.numbers("time")).containsExactly(0, 3.0);
        assertThat(csv.numbers("probes")).containsExactly(4, 4);
        assertThat(csv.numbers("products")).containsExactly(128, 128);
        double[] expected0 = curve(8);
        double[] expected30 = curve(9);
        for (int i = 0; i < DensityGrid.POINTS; i++) {
            // written with full precision: the numbers read back are the record's
            assertThat(Double.parseDouble(csv.rows().get(0)[5 + i])).isEqualTo(expected0[i]);
            assertThat(Double.parseDouble(csv.rows().get(1)[5 + i])).isEqualTo(expected30[i]);
        }
        assertThat(t.failed()).isEqualTo(2);
        assertThat(t.lastFailure()).isEqualTo("no curve of 141 finite, non-negative numbers");

        Path traces = dir.resolve("trace.csv");
        t.traces().write(traces);
        Csv tr = Csv.read(traces);
        assertThat(tr.columns()).containsExactly(SpectrumTables.TRACE);
        assertThat(tr.numbers("step")).containsExactly(0, 30);
        assertThat(tr.numbers("trace_hessian")).containsExactly(12.5, 42.5);
        assertThat(tr.numbers("trace_hessian_low")).containsExactly(11.75, 11.75);
        assertThat(tr.numbers("trace_hessian_high")).containsExactly(13.25, 13.25);
        assertThat(tr.numbers("trace_hessian_coverage")).containsExactly(0.95, 0.95);
        assertThat(tr.numbers("trace_hessian_products")).containsExactly(30, 30);
        assertThat(tr.numbers("trace_gauss_newton")).containsExactly(10, 10);
        assertThat(tr.numbers("trace_gauss_newton_low")).containsExactly(10, 10);
        assertThat(tr.numbers("gauss_newton_share")).containsExactly(0.8, 0.8);
        assertThat(tr.numbers("top_share_hessian")).containsExactly(0.5, 0.5);
        assertThat(tr.numbers("top_share_gauss_newton")).containsExactly(Double.NaN, Double.NaN);
    }

    @Test
    void aReportedFailureIsCountedWithItsReasonAndNoRow() {
        SpectrumTables t = new SpectrumTables(10);
        t.add(record(5, curve(2), "Lanczos broke down on probe 2", false));
        assertThat(t.densityRows()).isZero();
        assertThat(t.failed()).isEqualTo(1);
        assertThat(t.lastFailure()).isEqualTo("Lanczos broke down on probe 2");
        assertThat(t.density().size()).isZero();
    }

    @Test
    void theDensityTableIsBoundedByThinningEverySecondRow() {
        SpectrumTables t = new SpectrumTables(4);
        for (long step = 0; step < 10; step++) {
            t.add(record(step, curve(1 + step), null, false));
            assertThat(t.densityRows()).isLessThanOrEqualTo(4);
        }
        // 0–4 thinned to 0, 2, 4; +5, +6 thinned to 0, 4, 6; +7, +8 thinned to 0, 6, 8; +9
        assertThat(t.density().numbers("step")).containsExactly(0, 6, 8, 9);
        assertThat(t.thinned()).isEqualTo(6);
        assertThat(t.densityRows() + t.thinned()).isEqualTo(10);
        assertThatThrownBy(() -> new SpectrumTables(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 2");
    }

    @Tag("integration")
    @Test
    void aDeadLetteredSnapshotOfTheRunIsReportedAndOthersAreIgnored() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            KafkaSettings s = new KafkaSettings(kafka.bootstrapServers(), new Topics("rc."), Map.of());
            try (Admin admin = Admin.create(s.admin("rc"))) {
                s.topics().create(admin, 1, (short) 1);
            }
            try (RunCollector collector = new RunCollector(s, "mine", "reproduce", 2);
                    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(s.producer("rc"))) {
                collector.begin();
                producer.send(io.eoscope.wire.Records.deadLetter(s.topics(), new ConsumerRecord<>(s.topics().snapshots(), 0, 3L, "other",
                        new byte[4]), "another run's trouble")).get();
                producer.send(io.eoscope.wire.Records.deadLetter(s.topics(), new ConsumerRecord<>(s.topics().snapshots(), 0, 4L, "mine",
                        new byte[4]), "snapshot mine@0: its dataset abc is not in the datasets topic")).get();
                Instant deadline = Instant.now().plusSeconds(30);
                while (collector.deadLetters().isEmpty() && Instant.now().isBefore(deadline)) {
                    collector.poll(Duration.ofMillis(200));
                }
                assertThat(collector.deadLetters()).containsExactly("snapshot mine@0: its dataset abc is not in the datasets topic");
            }
        }
    }
}
