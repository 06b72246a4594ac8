package io.eoscope.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The replays and deadletter topics' records, and the new replays topic's definition. */
class ReplayAndDeadLetterTest {

    static String reason(String json) {
        try {
            ReplayRequest.parse(json.getBytes(StandardCharsets.UTF_8));
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + json);
    }

    static final String REQUEST = "{\"schema\":1,\"run\":\"r1\",\"analysis_id\":\"topk3\",\"from\":0,\"to\":100,\"top_k\":3,"
            + "\"tol\":1e-4,\"requested_at\":1700000000000}";

    @Test
    void aReplayRequestRoundTrips() throws Exception {
        ReplayRequest r = ReplayRequest.parse(REQUEST.getBytes(StandardCharsets.UTF_8));
        assertThat(r).isEqualTo(new ReplayRequest("r1", "topk3", 0, 100, 3, 1e-4, 1_700_000_000_000L));
        assertThat(ReplayRequest.parse(r.toJson())).isEqualTo(r);
        ProducerRecord<String, byte[]> rec = r.toRecord(new Topics("eos."));
        assertThat(rec.topic()).isEqualTo("eos.replays");
        assertThat(rec.key()).isEqualTo("r1");
        // "to the end" is Long.MAX_VALUE, exactly
        ReplayRequest open = new ReplayRequest("r1", "x", 5, Long.MAX_VALUE, 1, 1e-4, 0);
        assertThat(ReplayRequest.parse(open.toJson()).to()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void badReplayRequestsAreRefused() {
        assertThat(reason(REQUEST.replace("\"from\":0", "\"from\":200"))).contains("from ≤ to");
        assertThat(reason(REQUEST.replace("\"top_k\":3", "\"top_k\":4294967298"))).contains("'top_k'");
        assertThat(reason(REQUEST.replace("\"top_k\":3", "\"top_k\":0"))).contains("'top_k'");
        assertThat(reason(REQUEST.replace("1e-4", "2"))).contains("tol");
        assertThat(reason(REQUEST.replace("1e-4", "\"abc\""))).contains("'tol'");
        assertThat(reason(REQUEST.replace("\"schema\":1", "\"schema\":2"))).contains("unknown schema 2");
        assertThat(reason(REQUEST.replace("\"analysis_id\":\"topk3\",", ""))).contains("missing field 'analysis_id'");
        assertThat(reason(REQUEST.replace("\"run\":\"r1\"", "\"run\":\"r 1\""))).contains("'run'");
        assertThatThrownBy(() -> new ReplayRequest("r1", "x", 0, 10, 1, Double.NaN, 0)).hasMessageContaining("tol");
    }

    @Test
    void deadLettersRoundTripAndKeepTheirFormat() throws Exception {
        ConsumerRecord<String, byte[]> bad = new ConsumerRecord<>("eos.runs", 0, 42, "r1", "{\"status\":{}}".getBytes(StandardCharsets.UTF_8));
        ProducerRecord<String, byte[]> rec = Records.deadLetter(new Topics("eos."), bad, "field 'status' must be a string\nsecond line");
        assertThat(rec.topic()).isEqualTo("eos.deadletter");
        assertThat(rec.key()).isEqualTo("eos.runs/0/42");
        DeadLetter d = DeadLetter.parse(rec.value());
        assertThat(d.topic()).isEqualTo("eos.runs");
        assertThat(d.offset()).isEqualTo(42);
        assertThat(d.key()).isEqualTo("r1");
        assertThat(d.bytes()).isEqualTo(13);
        assertThat(d.reason()).isEqualTo("field 'status' must be a string second line");
        assertThat(DeadLetter.parse(d.toJson())).isEqualTo(d);
        // a null reason (an exception without a message) still makes a dead letter
        assertThat(DeadLetter.parse(Records.deadLetter(new Topics(""), bad, null).value()).reason()).isEqualTo("no reason given");
        // the fields readers of the deadletter topic rely on are unchanged
        assertThat(d.toJson().keySet()).contains("topic", "partition", "offset", "key", "reason", "bytes", "at");
        assertThatThrownBy(() -> DeadLetter.parse("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"reason\":\"r\",\"bytes\":1,\"at\":\"yesterday\"}"
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("'at'");
        assertThatThrownBy(() -> DeadLetter.parse(("{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"bytes\":1,\"at\":\"" + Instant.EPOCH + "\"}")
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("missing field 'reason'");
    }

    @Test
    void theReplaysTopicIsDefinedWithSevenDaysRetentionNotCompacted() {
        var replays = new Topics("p.").definitions(3, (short) 1).stream().filter(t -> t.name().equals("p.replays")).findFirst().orElseThrow();
        assertThat(replays.numPartitions()).isEqualTo(3);
        assertThat(replays.configs()).containsEntry("retention.ms", "604800000").doesNotContainKey("cleanup.policy");
    }

    /** A 900 KB run name cannot become a 900 KB dead letter or log line: reason and key are cut, saying how long they were. */
    @Test
    void hugeReasonsAndKeysAreCut() {
        String huge = "x".repeat(900_000);
        DeadLetter d = DeadLetter.of(new ConsumerRecord<>("eos.runs", 0, 5, huge, new byte[3]), "field 'run' is '" + huge + "'",
                Instant.EPOCH);
        assertThat(d.reason()).hasSizeLessThan(DeadLetter.MAX_TEXT + 40).endsWith("(900017 characters)");
        assertThat(d.key()).hasSizeLessThan(DeadLetter.MAX_TEXT + 40).endsWith("(900000 characters)");
        assertThat(DeadLetter.brief("short")).isEqualTo("short");
    }
}
