package io.eoscope.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.eoscope.broker.EmbeddedKafka;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.wire.KafkaSettings;
import io.eoscope.wire.TopicSetup;
import io.eoscope.wire.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fleet harness ({@code bench/run fleet}): R simulated runs against a real broker, A analyzer processes, one gateway
 * process and, when installed, a real Prometheus scraping them; for each R it reports the snapshot-to-API staleness, the
 * analyzers' throughput per core and the cost of a snapshot, the gateway's memory, {@code /metrics} size and scrape time,
 * API latency, the broker's bytes per snapshot, what was lost, and the first limit hit. See bench/README.md, "Fleet".
 */
@Command(name = "bench/run fleet", sortOptions = false, description = {
    "Loads a real broker with R concurrent simulated runs (tiny MLP snapshots and telemetry at a fixed rate, published with",
    "eoscope's own wire classes) for each R, with A analyzer processes, one gateway process and Prometheus; prints a table",
    "and writes JSON."})
public final class FleetBench {
    @Option(names = "--runs", split = ",", paramLabel = "R[,R...]", defaultValue = "10,100,1000",
            description = "concurrent runs, one level each (default: ${DEFAULT-VALUE})")
    List<Integer> runs;

    @Option(names = "--rate", paramLabel = "S", defaultValue = "50", description = "snapshots per second, all runs together (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--seconds", paramLabel = "T", defaultValue = "40", description = "how long each level publishes (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--telemetry-per-snapshot", paramLabel = "K", defaultValue = "10",
            description = "telemetry steps published per snapshot (default: ${DEFAULT-VALUE})")
    int telemetryPerSnapshot;

    @Option(names = "--arch", paramLabel = "A", defaultValue = "4-8-2", description = "the runs' MLP (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--n", paramLabel = "N", defaultValue = "64", description = "samples of each dataset (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--datasets", paramLabel = "D", defaultValue = "0",
            description = "distinct datasets shared round-robin by the runs; 0: one per run (default: ${DEFAULT-VALUE})")
    int datasets;

    @Option(names = "--analyzers", paramLabel = "A", defaultValue = "2", description = "analyzer processes (default: ${DEFAULT-VALUE})")
    int analyzers;

    @Option(names = "--instances", paramLabel = "I", defaultValue = "1",
            description = "analyzers in each process (eos analyzer --instances; default: ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--analyzer-threads", paramLabel = "T", defaultValue = "1",
            description = "eos analyzer --threads of each process; 0: this machine's cores shared among the analyzer processes (default: ${DEFAULT-VALUE}: a tiny model gains nothing from more, and spinning threads cost the other processes)")
    int analyzerThreads;

    @Option(names = "--analyzer-args", paramLabel = "ARGS", defaultValue = "",
            description = "more options for every eos analyzer, space-separated (e.g. \"--no-layerwise\")")
    String analyzerArgs;

    @Option(names = "--analyzer-jvm", paramLabel = "OPTS", defaultValue = "",
            description = "JVM options of the analyzer processes, space-separated (e.g. a Flight Recorder setting)")
    String analyzerJvm;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "4", description = "partitions of the levels' topics (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "a Kafka cluster to load (default: an eos broker process started for the run, on a temporary directory)")
    String bootstrapServers;

    @Option(names = "--prometheus", paramLabel = "PATH", defaultValue = "/usr/bin/prometheus",
            description = "the Prometheus binary scraping the gateway; 'none' to go without (default: ${DEFAULT-VALUE} when installed)")
    String prometheus;

    @Option(names = "--drain-seconds", paramLabel = "S", defaultValue = "600",
            description = "how long a level waits after publishing for every snapshot to be served (default: ${DEFAULT-VALUE})")
    long drainSeconds;

    @Option(names = "--poll-ms", paramLabel = "MS", defaultValue = "1000",
            description = "how often the watcher reads /api/runs, as a dashboard would (the staleness' resolution; default: ${DEFAULT-VALUE})")
    long pollMillis;

    @Option(names = "--out", paramLabel = "PATH", defaultValue = "bench/results/fleet.json", description = "JSON results (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--keep", description = "keep the temporary directory (logs, broker data) and the levels' topics")
    boolean keep;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
    boolean help;

    /** The aims this harness is judged against (2 cores, tiny MLP snapshots, R = 1,000 at 50 snapshots/s). */
    static final double AIM_STALENESS_P95 = 10;
    static final long AIM_GATEWAY_RSS = 1L << 30;
    static final double AIM_SCRAPE_SECONDS = 1;
    static final double AIM_API_P99 = 0.1;
    /** A level with no snapshot served for this long has stalled: it ends with the reason instead of waiting out the drain. */
    static final long STALL_SECONDS = 120;

    public static void main(String[] args) throws Exception {
        FleetBench options = new FleetBench();
        if (BenchCli.parse(args, options, () -> {
            options.validate();
            return options;
        }) == null) {
            return;
        }
        JsonObject results = options.run(System.err);
        Files.createDirectories(options.out.toAbsolutePath().getParent());
        Path tmp = options.out.resolveSibling(options.out.getFileName() + ".tmp");
        Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(results));
        Files.move(tmp, options.out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println(table(results));
        System.out.println("JSON: " + options.out);
    }

    /** libtorch threads of each analyzer process: as given, or the machine's cores shared among them. */
    int threadsPerAnalyzer() {
        return analyzerThreads > 0 ? analyzerThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / analyzers);
    }

    /** Validates the options, naming the offending one. */
    void validate() {
        if (runs.isEmpty() || runs.stream().anyMatch(r -> r < 1 || r > 100_000)) {
            throw new IllegalArgumentException("--runs must list run counts in 1..100000, got " + runs);
        }
        if (!(rate > 0 && rate <= 10_000)) {
            throw new IllegalArgumentException("--rate must be in (0, 10000] snapshots per second, got " + rate);
        }
        if (!(seconds > 0 && seconds <= 3600)) {
            throw new IllegalArgumentException("--seconds must be in (0, 3600], got " + seconds);
        }
        BenchCli.positive("--analyzers", analyzers);
        BenchCli.positive("--instances", instances);
        BenchCli.positive("--partitions", partitions);
        BenchCli.positive("--n", n);
        BenchCli.positive("--telemetry-per-snapshot", telemetryPerSnapshot);
        if (analyzerThreads < 0) {
            throw new IllegalArgumentException("--analyzer-threads must be ≥ 0, got " + analyzerThreads);
        }
        if (datasets < 0) {
            throw new IllegalArgumentException("--datasets must be ≥ 0, got " + datasets);
        }
        MlpModel.parseArchitecture(arch);
    }

    /** Runs every level; progress lines go to {@code log}. */
    JsonObject run(java.io.PrintStream log) throws Exception {
        validate();
        Path dir = Files.createTempDirectory("eos-fleet");
        JsonObject results = new JsonObject();
        results.add("settings", settings());
        results.add("machine", machine());
        JsonArray levels = new JsonArray();
        FleetProcess broker = null;
        try {
            String bootstrap = bootstrapServers;
            if (bootstrap == null) {
                int port = EmbeddedKafka.freePort();
                broker = FleetProcess.start("broker", dir, List.of(), Map.of(),
                        List.of("broker", "--data-dir", dir.resolve("kafka").toString(), "--port", Integer.toString(port)));
                bootstrap = "127.0.0.1:" + port;
                awaitPort(broker, port, Duration.ofSeconds(120));
                log.printf(Locale.ROOT, "fleet: eos broker on %s (log %s)%n", bootstrap, broker.log());
            }
            for (int r : runs) {
                levels.add(level(r, bootstrap, broker, dir, log));
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
            if (!keep) {
                deleteTree(dir);
            } else {
                log.println("fleet: kept " + dir);
            }
        }
        results.add("levels", levels);
        return results;
    }

    /** One level: R runs, fresh topics (their own prefix), fresh analyzers and gateway. */
    private JsonObject level(int r, String bootstrap, FleetProcess broker, Path dir, java.io.PrintStream log) throws Exception {
        String prefix = "fleet" + r + "-" + Long.toString(System.currentTimeMillis(), 36) + ".";
        KafkaSettings settings = new KafkaSettings(bootstrap, new Topics(prefix), Map.of());
        TopicSetup.createTopics(settings, "eos-fleet", partitions, Optional.empty(), Duration.ofSeconds(60));
        Path levelDir = Files.createDirectories(dir.resolve("level-" + r));
        List<FleetProcess> services = new ArrayList<>();
        Prometheus prom = null;
        int gatewayPort = EmbeddedKafka.freePort();
        String gateway = "http://127.0.0.1:" + gatewayPort;
        List<String> analyzerUrls = new ArrayList<>();
        FleetLoad.Plan plan = new FleetLoad.Plan(r, datasets == 0 ? r : Math.min(datasets, r), MlpModel.parseArchitecture(arch), n,
                rate, seconds, telemetryPerSnapshot, 10, 0.05, 1);
        try {
            services.add(FleetProcess.start("gateway", levelDir, List.of(), Map.of(), List.of("gateway", "--bootstrap-servers", bootstrap,
                    "--topic-prefix", prefix, "--port", Integer.toString(gatewayPort), "--max-runs", Integer.toString(r),
                    "--max-view-runs", Integer.toString(Math.max(2 * r, 1000)))));
            for (int a = 0; a < analyzers; a++) {
                int port = EmbeddedKafka.freePort();
                List<String> args = new ArrayList<>(List.of("analyzer", "--bootstrap-servers", bootstrap, "--topic-prefix", prefix,
                        "--metrics-port", Integer.toString(port), "--instances", Integer.toString(instances), "--group", "fleet",
                        "--threads", Integer.toString(threadsPerAnalyzer())));
                args.addAll(words(analyzerArgs));
                services.add(FleetProcess.start("analyzer-" + a, levelDir, words(analyzerJvm), Map.of(), args));
                analyzerUrls.add("http://127.0.0.1:" + port);
            }
            for (FleetProcess p : services) {
                String url = p.name().equals("gateway") ? gateway : analyzerUrls.get(Integer.parseInt(p.name().substring("analyzer-".length())));
                waitReady(p, url, Duration.ofSeconds(180));
            }
            if (!prometheus.equals("none") && Files.isExecutable(Path.of(prometheus))) {
                prom = Prometheus.start(Path.of(prometheus), levelDir, gateway, analyzerUrls);
            }
            log.printf(Locale.ROOT, "fleet: R = %d: %d analyzer process(es) × %d, gateway on %s%s; publishing %d snapshots over %.0f s%n",
                    r, analyzers, instances, gateway, prom == null ? " (no Prometheus)" : ", Prometheus on " + prom.url(),
                    plan.snapshots(), seconds);
            return measure(r, plan, settings, services, gateway, analyzerUrls, prom, log);
        } finally {
            for (FleetProcess p : services) {
                p.close();
            }
            if (prom != null) {
                prom.close();
            }
            if (!keep && bootstrapServers != null) {
                try (Admin admin = Admin.create(settings.admin("eos-fleet"))) {
                    admin.deleteTopics(List.of(prefix + Topics.RUNS, prefix + Topics.DATASETS, prefix + Topics.SNAPSHOTS, prefix + Topics.METRICS,
                            prefix + Topics.TELEMETRY, prefix + Topics.REPLAYS, prefix + Topics.DEADLETTER)).all().get(60, TimeUnit.SECONDS);
                }
            }
        }
    }

    private JsonObject measure(int r, FleetLoad.Plan plan, KafkaSettings settings, List<FleetProcess> services, String gateway,
            List<String> analyzerUrls, Prometheus prom, java.io.PrintStream log) throws Exception {
        FleetProcess gw = services.get(0);
        List<FleetProcess> analyzerProcs = services.subList(1, services.size());
        double cpu0 = cpu(analyzerProcs);
        double gatewayCpu0 = gw.cpuSeconds();
        long t0 = System.nanoTime();
        long total;
        FleetWatch watch;
        try (FleetLoad load = new FleetLoad(settings, plan, "run-")) {
            load.prepare();
            watch = new FleetWatch(gateway, load.sentAt(), pollMillis);
            Thread watcher = new Thread(watch, "fleet-watch");
            watcher.setDaemon(true);
            watcher.start();
            long[] lastLine = {System.nanoTime()};
            load.publish(sent -> {
                if (System.nanoTime() - lastLine[0] > 5e9) {
                    lastLine[0] = System.nanoTime();
                    log.printf(Locale.ROOT, "fleet: R = %d: published %d/%d, served %d%n", r, sent, plan.snapshots(), watch.served());
                }
            });
            total = load.sentAt().size();
            long published = System.nanoTime();
            long deadline = published + drainSeconds * 1_000_000_000L;
            int servedBefore = -1;
            long progressAt = System.nanoTime();
            while ((watch.served() < total || !allFinished(watch, r)) && System.nanoTime() < deadline) {
                if (watch.served() != servedBefore) {
                    servedBefore = watch.served();
                    progressAt = System.nanoTime();
                } else if (System.nanoTime() - progressAt > STALL_SECONDS * 1_000_000_000L && watch.served() < total) {
                    List<String> errors = watch.errors();
                    throw new IllegalStateException("no snapshot served for " + STALL_SECONDS + " s (" + watch.served() + " of " + total
                            + "); " + (errors.isEmpty() ? "the API answered without errors" : errors.size() + " API errors, the last: "
                            + errors.get(errors.size() - 1)) + "; see the services' logs (--keep)");
                }
                for (FleetProcess p : services) {
                    if (!p.alive()) {
                        throw new IllegalStateException(p.name() + " exited during the level; its log ends:\n" + p.tail(30));
                    }
                }
                Thread.sleep(1000);
                if (System.nanoTime() - lastLine[0] > 5e9) {
                    lastLine[0] = System.nanoTime();
                    log.printf(Locale.ROOT, "fleet: R = %d: published %d, served %d, waiting for the rest (%.0f s)%n", r, total,
                            watch.served(), (System.nanoTime() - published) / 1e9);
                }
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            watch.stop();
            watcher.join(10_000);
            JsonObject o = new JsonObject();
            o.addProperty("runs", r);
            o.addProperty("snapshots_published", total);
            o.addProperty("telemetry_published", load.telemetrySent());
            o.addProperty("snapshots_served", watch.served());
            List<String> lost = watch.unserved();
            o.addProperty("snapshots_lost", lost.size());
            if (!lost.isEmpty()) {
                o.addProperty("lost_examples", String.join(", ", lost.subList(0, Math.min(10, lost.size()))));
            }
            o.addProperty("runs_listed", watch.listed());
            long finished = watch.statuses().values().stream().filter("finished"::equals).count();
            o.addProperty("runs_finished", finished);
            List<Double> stale = watch.staleness();
            o.addProperty("staleness_p50_s", FleetWatch.quantile(stale, 0.5));
            o.addProperty("staleness_p95_s", FleetWatch.quantile(stale, 0.95));
            o.addProperty("staleness_p99_s", FleetWatch.quantile(stale, 0.99));
            o.addProperty("wall_seconds", wall);
            double analyzerCpu = cpu(analyzerProcs) - cpu0;
            o.addProperty("analyzer_cpu_seconds", analyzerCpu);
            o.addProperty("analyzer_core_ms_per_snapshot", 1e3 * analyzerCpu / Math.max(1, watch.served()));
            o.addProperty("analyzer_snapshots_per_core_second", watch.served() / analyzerCpu);
            double[] analysis = analysisSeconds(analyzerUrls);
            o.addProperty("analysis_ms_per_snapshot", analysis[1] > 0 ? 1e3 * analysis[0] / analysis[1] : Double.NaN);
            o.addProperty("analyses", analysis[1]);
            o.addProperty("gateway_cpu_seconds", gw.cpuSeconds() - gatewayCpu0);
            o.addProperty("gateway_rss_mb", gw.residentBytes(false) / 1048576.0);
            o.addProperty("gateway_peak_rss_mb", gw.residentBytes(true) / 1048576.0);
            o.addProperty("gateway_heap_mb", heapBytes(gateway) / 1048576.0);
            List<double[]> scrapes = watch.scrapes();
            List<Double> scrapeSeconds = new ArrayList<>();
            scrapes.forEach(s -> scrapeSeconds.add(s[0]));
            o.addProperty("metrics_bytes", scrapes.isEmpty() ? Double.NaN : scrapes.get(scrapes.size() - 1)[1]);
            o.addProperty("metrics_seconds_p50", FleetWatch.quantile(scrapeSeconds, 0.5));
            o.addProperty("metrics_seconds_max", FleetWatch.quantile(scrapeSeconds, 1.0));
            if (prom != null) {
                o.addProperty("prometheus_scrape_seconds_max", prom.query("max_over_time(scrape_duration_seconds{job=\"gateway\"}[1h])"));
                o.addProperty("prometheus_samples", prom.query("max_over_time(scrape_samples_scraped{job=\"gateway\"}[1h])"));
            }
            o.addProperty("api_runs_p50_s", FleetWatch.quantile(watch.listLatency(), 0.5));
            o.addProperty("api_runs_p99_s", FleetWatch.quantile(watch.listLatency(), 0.99));
            o.addProperty("api_run_p50_s", FleetWatch.quantile(watch.runLatency(), 0.5));
            o.addProperty("api_run_p99_s", FleetWatch.quantile(watch.runLatency(), 0.99));
            o.addProperty("api_errors", watch.errors().size());
            if (!watch.errors().isEmpty()) {
                o.addProperty("api_error_example", watch.errors().get(0));
            }
            Map<String, Long> bytes = topicBytes(settings);
            JsonObject disk = new JsonObject();
            bytes.forEach(disk::addProperty);
            o.add("broker_bytes", disk);
            long snapshotBytes = bytes.getOrDefault("snapshots", 0L);
            o.addProperty("broker_bytes_per_snapshot", snapshotBytes / (double) total);
            o.addProperty("broker_bytes_per_telemetry_step", bytes.getOrDefault("telemetry", 0L) / (double) Math.max(1, load.telemetrySent()));
            double runHours = r * seconds / 3600.0;
            long all = bytes.values().stream().mapToLong(Long::longValue).sum();
            o.addProperty("broker_bytes_per_run_hour", all / runHours);
            o.addProperty("first_limit", firstLimit(o, plan));
            log.printf(Locale.ROOT, "fleet: R = %d done: %d/%d served, staleness p95 %.2f s; first limit: %s%n", r, watch.served(), total,
                    o.get("staleness_p95_s").getAsDouble(), o.get("first_limit").getAsString());
            return o;
        }
    }

    private static boolean allFinished(FleetWatch watch, int runs) {
        Map<String, String> s = watch.statuses();
        return s.size() >= runs && s.values().stream().allMatch("finished"::equals);
    }

    /** The first aim missed and why, from the level's figures (or that every aim was met). */
    static String firstLimit(JsonObject o, FleetLoad.Plan plan) {
        double coreMs = o.get("analyzer_core_ms_per_snapshot").getAsDouble();
        int cores = Runtime.getRuntime().availableProcessors();
        double capacity = cores * 1e3 / coreMs;
        List<String> missed = new ArrayList<>();
        if (o.get("snapshots_lost").getAsLong() > 0) {
            missed.add(o.get("snapshots_lost").getAsLong() + " snapshots never served");
        }
        double p95 = o.get("staleness_p95_s").getAsDouble();
        if (!(p95 <= AIM_STALENESS_P95)) {
            missed.add(String.format(Locale.ROOT, "staleness p95 %.1f s > %.0f s: the analyzers need %.1f core-ms a snapshot, so %d cores"
                    + " analyse at most %.0f/s against %.0f/s offered", p95, AIM_STALENESS_P95, coreMs, cores, capacity,
                    plan.snapshotsPerSecond()));
        }
        if (o.get("gateway_peak_rss_mb").getAsDouble() * 1048576 > AIM_GATEWAY_RSS) {
            missed.add(String.format(Locale.ROOT, "gateway RSS %.0f MiB > 1 GiB", o.get("gateway_peak_rss_mb").getAsDouble()));
        }
        double scrape = o.get("metrics_seconds_max").getAsDouble();
        if (!(scrape <= AIM_SCRAPE_SECONDS)) {
            missed.add(String.format(Locale.ROOT, "/metrics took %.2f s > 1 s", scrape));
        }
        double api = Math.max(o.get("api_runs_p99_s").getAsDouble(), o.get("api_run_p99_s").getAsDouble());
        if (!(api <= AIM_API_P99)) {
            missed.add(String.format(Locale.ROOT, "API p99 %.0f ms > 100 ms", api * 1e3));
        }
        return missed.isEmpty() ? String.format(Locale.ROOT, "none: every aim met (the analyzers' ceiling here is about %.0f snapshots/s)",
                capacity) : String.join("; ", missed);
    }

    private static double cpu(List<FleetProcess> processes) {
        double s = 0;
        for (FleetProcess p : processes) {
            s += p.cpuSeconds();
        }
        return s;
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(url + " answered " + r.statusCode());
        }
        return r.body();
    }

    /** Waits until the process listens on {@code port}; one that exits or never listens is an error with its log. */
    private static void awaitPort(FleetProcess p, int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.alive()) {
                throw new IllegalStateException(p.name() + " exited at start; its log ends:\n" + p.tail(30));
            }
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException(p.name() + " did not listen on " + port + " within " + timeout.toSeconds() + " s; its log ends:\n"
                + p.tail(30));
    }

    /** Waits until the service's /ready answers 200; a service that exits or never gets ready is an error with its log. */
    private static void waitReady(FleetProcess p, String url, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.alive()) {
                throw new IllegalStateException(p.name() + " exited at start; its log ends:\n" + p.tail(30));
            }
            try {
                get(url + "/ready");
                return;
            } catch (IOException e) {
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException(p.name() + " was not ready within " + timeout.toSeconds() + " s; its log ends:\n" + p.tail(30));
    }

    /** Sum and count of the analyzers' eos_analyzer_analysis_seconds (the analysis proper, without Kafka and decoding). */
    private static double[] analysisSeconds(List<String> analyzerUrls) {
        double sum = 0;
        double count = 0;
        for (String url : analyzerUrls) {
            try {
                for (String line : get(url + "/metrics").split("\n")) {
                    if (line.startsWith("eos_analyzer_analysis_seconds_sum")) {
                        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    } else if (line.startsWith("eos_analyzer_analysis_seconds_count")) {
                        count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                }
            } catch (IOException | InterruptedException | NumberFormatException e) {
                return new double[] {Double.NaN, 0};
            }
        }
        return new double[] {sum, count};
    }

    /** The gateway's JVM heap in use (jvm_memory_used_bytes, area heap), bytes; NaN when it does not say. */
    private static double heapBytes(String gateway) {
        try {
            double heap = 0;
            boolean found = false;
            for (String line : get(gateway + "/metrics").split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    heap += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    found = true;
                }
            }
            return found ? heap : Double.NaN;
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Bytes on the broker's disks of each of the level's topics (every replica), by topic without its prefix. */
    private static Map<String, Long> topicBytes(KafkaSettings settings) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        String prefix = settings.topics().prefix();
        try (Admin admin = Admin.create(settings.admin("eos-fleet"))) {
            List<Integer> brokers = new ArrayList<>();
            for (Node node : admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)) {
                brokers.add(node.id());
            }
            Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(brokers).allDescriptions().get(30, TimeUnit.SECONDS);
            for (Map<String, LogDirDescription> byDir : dirs.values()) {
                for (LogDirDescription d : byDir.values()) {
                    for (Map.Entry<org.apache.kafka.common.TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
                        String topic = e.getKey().topic();
                        if (topic.startsWith(prefix)) {
                            out.merge(topic.substring(prefix.length()), e.getValue().size(), Long::sum);
                        }
                    }
                }
            }
        }
        return out;
    }

    private JsonObject settings() {
        JsonObject s = new JsonObject();
        s.addProperty("runs", runs.toString());
        s.addProperty("snapshots_per_second", rate);
        s.addProperty("seconds", seconds);
        s.addProperty("telemetry_per_snapshot", telemetryPerSnapshot);
        s.addProperty("arch", arch);
        s.addProperty("n", n);
        s.addProperty("datasets", datasets == 0 ? "one per run" : Integer.toString(datasets));
        s.addProperty("analyzer_processes", analyzers);
        s.addProperty("instances_per_process", instances);
        s.addProperty("threads_per_analyzer_process", threadsPerAnalyzer());
        s.addProperty("analyzer_args", analyzerArgs);
        s.addProperty("partitions", partitions);
        s.addProperty("broker", bootstrapServers == null ? "eos broker (one process, this machine)" : bootstrapServers);
        return s;
    }

    private static JsonObject machine() {
        JsonObject m = new JsonObject();
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        m.addProperty("java", System.getProperty("java.version"));
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        return m;
    }

    /** The levels as a table. */
    static String table(JsonObject results) {
        StringBuilder b = new StringBuilder("\nFleet: ").append(results.getAsJsonObject("settings").get("arch").getAsString())
                .append(" MLP snapshots at ").append(results.getAsJsonObject("settings").get("snapshots_per_second").getAsDouble())
                .append("/s, ").append(results.getAsJsonObject("machine").get("cores").getAsInt()).append(" cores\n");
        b.append(String.format(Locale.ROOT, "%6s %9s %6s %22s %9s %9s %8s %8s %9s %9s %9s %10s%n", "runs", "served", "lost",
                "staleness p50/95/99 s", "core-ms", "analysis", "gw RSS", "gw heap", "/metrics", "scrape s", "API p99", "B/snapshot"));
        for (var e : results.getAsJsonArray("levels")) {
            JsonObject o = e.getAsJsonObject();
            b.append(String.format(Locale.ROOT, "%6d %9s %6d %22s %9.1f %9.1f %7.0fM %7.0fM %8.0fk %9.2f %7.0fms %10.0f%n",
                    o.get("runs").getAsInt(), o.get("snapshots_served").getAsLong() + "/" + o.get("snapshots_published").getAsLong(),
                    o.get("snapshots_lost").getAsLong(),
                    String.format(Locale.ROOT, "%.2f/%.2f/%.2f", o.get("staleness_p50_s").getAsDouble(),
                            o.get("staleness_p95_s").getAsDouble(), o.get("staleness_p99_s").getAsDouble()),
                    o.get("analyzer_core_ms_per_snapshot").getAsDouble(), o.get("analysis_ms_per_snapshot").getAsDouble(),
                    o.get("gateway_peak_rss_mb").getAsDouble(), o.get("gateway_heap_mb").getAsDouble(),
                    o.get("metrics_bytes").getAsDouble() / 1e3, o.get("metrics_seconds_max").getAsDouble(),
                    1e3 * Math.max(o.get("api_runs_p99_s").getAsDouble(), o.get("api_run_p99_s").getAsDouble()),
                    o.get("broker_bytes_per_snapshot").getAsDouble()));
        }
        for (var e : results.getAsJsonArray("levels")) {
            JsonObject o = e.getAsJsonObject();
            b.append("R = ").append(o.get("runs").getAsInt()).append(": first limit: ").append(o.get("first_limit").getAsString()).append('\n');
        }
        return b.toString();
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A real Prometheus scraping the gateway and the analyzers every 5 s, for the scrape time it measures itself. */
    static final class Prometheus implements AutoCloseable {
        private final Process process;
        private final String url;

        private Prometheus(Process process, String url) {
            this.process = process;
            this.url = url;
        }

        static Prometheus start(Path binary, Path dir, String gateway, List<String> analyzers) throws IOException, InterruptedException {
            int port = EmbeddedKafka.freePort();
            StringBuilder targets = new StringBuilder();
            for (String a : analyzers) {
                targets.append(targets.length() == 0 ? "" : ", ").append('\'').append(URI.create(a).getAuthority()).append('\'');
            }
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, "global:\n  scrape_interval: 5s\n  scrape_timeout: 5s\nscrape_configs:\n"
                    + "  - job_name: gateway\n    static_configs:\n      - targets: ['" + URI.create(gateway).getAuthority() + "']\n"
                    + "  - job_name: analyzers\n    static_configs:\n      - targets: [" + targets + "]\n", StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(binary.toString(), "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + port).redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            Prometheus prom = new Prometheus(p, "http://127.0.0.1:" + port);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline) {
                try {
                    get(prom.url + "/-/ready");
                    return prom;
                } catch (IOException e) {
                    Thread.sleep(250);
                }
            }
            prom.close();
            throw new IllegalStateException("Prometheus was not ready within 60 s (see " + dir.resolve("prometheus.log") + ")");
        }

        String url() {
            return url;
        }

        /** The value of an instant query with one result; NaN when it has none. */
        double query(String promql) {
            try {
                String body = get(url + "/api/v1/query?query=" + java.net.URLEncoder.encode(promql, StandardCharsets.UTF_8));
                JsonArray result = JsonParser.parseString(body).getAsJsonObject().getAsJsonObject("data").getAsJsonArray("result");
                return result.isEmpty() ? Double.NaN : result.get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble();
            } catch (IOException | InterruptedException | RuntimeException e) {
                return Double.NaN;
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
