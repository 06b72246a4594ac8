package io.eoscope.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches the gateway the way users do: {@code GET /api/runs} every {@code pollMillis} (a dashboard's list of runs), one
 * {@code GET /api/runs/{run}} of a random run between polls (a user opening a run), and {@code GET /metrics} every few
 * seconds (a scrape). A snapshot's staleness is the time from its publication to the first poll whose summary of its run
 * shows it (or a later step) analysed; the requests' latencies, the runs listed and their statuses are kept.
 */
final class FleetWatch implements Runnable {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String gateway;
    private final Map<String, Long> sentAt;
    private final long pollMillis;
    private final Map<String, Long> analysedStep = new ConcurrentHashMap<>();
    private final Map<String, String> status = new ConcurrentHashMap<>();
    private final Map<String, Double> staleness = new ConcurrentHashMap<>();
    private final List<Double> listLatency = Collections.synchronizedList(new ArrayList<>());
    private final List<Double> runLatency = Collections.synchronizedList(new ArrayList<>());
    private final List<double[]> scrapes = Collections.synchronizedList(new ArrayList<>()); // {seconds, bytes}
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean running = true;
    private volatile int listed;

    FleetWatch(String gateway, Map<String, Long> sentAt, long pollMillis) {
        this.gateway = gateway;
        this.sentAt = sentAt;
        this.pollMillis = pollMillis;
    }

    @Override
    public void run() {
        Random rng = new Random(3);
        long lastScrape = 0;
        while (running) {
            long started = System.nanoTime();
            try {
                poll(rng);
                if (System.currentTimeMillis() - lastScrape > 5_000) {
                    lastScrape = System.currentTimeMillis();
                    long t0 = System.nanoTime();
                    HttpResponse<byte[]> m = http.send(request("/metrics"), HttpResponse.BodyHandlers.ofByteArray());
                    scrapes.add(new double[] {(System.nanoTime() - t0) / 1e9, m.body().length});
                }
            } catch (IOException e) {
                errors.add(e.toString());
            } catch (InterruptedException e) {
                return;
            }
            long left = pollMillis - (System.nanoTime() - started) / 1_000_000;
            if (left > 0) {
                try {
                    Thread.sleep(left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create(gateway + path)).timeout(Duration.ofSeconds(30)).GET().build();
    }

    /** One poll of the run list (staleness, statuses), then one run's page. */
    void poll(Random rng) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<String> list = http.send(request("/api/runs"), HttpResponse.BodyHandlers.ofString());
        long seen = System.currentTimeMillis();
        listLatency.add((System.nanoTime() - t0) / 1e9);
        if (list.statusCode() != 200) {
            errors.add("/api/runs answered " + list.statusCode());
            return;
        }
        JsonElement body = JsonParser.parseString(list.body());
        JsonArray runs = body.isJsonArray() ? body.getAsJsonArray() : body.getAsJsonObject().getAsJsonArray("runs");
        listed = runs.size();
        List<String> names = new ArrayList<>();
        for (JsonElement e : runs) {
            JsonObject r = e.getAsJsonObject();
            String run = r.get("run").getAsString();
            names.add(run);
            status.put(run, r.get("status").getAsString());
            if (r.has("analysed_step") && !r.get("analysed_step").isJsonNull()) {
                long step = r.get("analysed_step").getAsLong();
                Long before = analysedStep.put(run, step);
                if (before == null || step > before) {
                    credit(run, before == null ? -1 : before, step, seen);
                }
            }
        }
        if (!names.isEmpty()) {
            String run = names.get(rng.nextInt(names.size()));
            long t1 = System.nanoTime();
            HttpResponse<String> one = http.send(request("/api/runs/" + run), HttpResponse.BodyHandlers.ofString());
            runLatency.add((System.nanoTime() - t1) / 1e9);
            if (one.statusCode() != 200) {
                errors.add("/api/runs/" + run + " answered " + one.statusCode());
            }
        }
    }

    /** Every snapshot of {@code run} after step {@code from} up to {@code to} is served from {@code seen} on. */
    private void credit(String run, long from, long to, long seen) {
        for (long step = Math.max(0, from + 1); step <= to; step++) {
            String key = FleetLoad.key(run, step);
            Long sent = sentAt.get(key);
            if (sent != null) {
                staleness.putIfAbsent(key, Math.max(0, seen - sent) / 1e3);
            }
        }
    }

    void stop() {
        running = false;
    }

    /** Snapshots published whose analysis the API has shown. */
    int served() {
        return staleness.size();
    }

    int listed() {
        return listed;
    }

    Map<String, String> statuses() {
        return new TreeMap<>(status);
    }

    List<Double> staleness() {
        return new ArrayList<>(staleness.values());
    }

    List<Double> listLatency() {
        synchronized (listLatency) {
            return new ArrayList<>(listLatency);
        }
    }

    List<Double> runLatency() {
        synchronized (runLatency) {
            return new ArrayList<>(runLatency);
        }
    }

    List<double[]> scrapes() {
        synchronized (scrapes) {
            return new ArrayList<>(scrapes);
        }
    }

    List<String> errors() {
        synchronized (errors) {
            return new ArrayList<>(errors);
        }
    }

    /** The snapshots sent but never shown analysed, by key (the lost ones, once the drain is over). */
    List<String> unserved() {
        List<String> out = new ArrayList<>();
        for (String key : sentAt.keySet()) {
            if (!staleness.containsKey(key)) {
                out.add(key);
            }
        }
        Collections.sort(out);
        return out;
    }

    /** The q-quantile (nearest rank) of {@code values}; NaN when empty. */
    static double quantile(List<Double> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
