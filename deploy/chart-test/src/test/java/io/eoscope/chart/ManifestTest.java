package io.eoscope.chart;

import static io.eoscope.chart.Workloads.args;
import static io.eoscope.chart.Workloads.container;
import static io.eoscope.chart.Workloads.option;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The rendered manifests: what each ci/ combination must produce. */
class ManifestTest {
    static final String FULLNAME = Chart.RELEASE + "-eoscope";
    static final String GATEWAY = FULLNAME + "-gateway";
    static final String ANALYZER = FULLNAME + "-analyzer";
    static String image;
    static Map<Path, Manifests> rendered = new LinkedHashMap<>();

    @BeforeAll
    static void render() throws IOException {
        Map<String, Object> chart = Chart.yaml().load(Files.readString(Chart.DIR.resolve("Chart.yaml")));
        image = "ghcr.io/eoscope/eoscope:" + chart.get("appVersion");
        for (Path values : Chart.ciValues()) {
            rendered.put(values, Chart.template(values));
        }
    }

    static Manifests ci(String name) {
        return rendered.get(Chart.CI.resolve(name));
    }

    static List<Path> ciValues() {
        return Chart.ciValues();
    }

    // ---- every combination ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void everyPodIsNonRootWithAReadOnlyRootAndAWritableTmp(Path values) {
        Manifests m = rendered.get(values);
        assertThat(Workloads.of(m)).isNotEmpty().allSatisfy(w -> {
            String what = values.getFileName() + " " + Yamls.at(w, "metadata.name");
            Map<String, Object> pod = Workloads.podSpec(w);
            assertThat(Yamls.at(pod, "securityContext.runAsNonRoot")).as(what).isEqualTo(true);
            assertThat(Yamls.at(pod, "securityContext.runAsUser")).as(what).isEqualTo(10001);
            assertThat(Yamls.at(pod, "securityContext.seccompProfile.type")).as(what).isEqualTo("RuntimeDefault");
            assertThat(pod.get("automountServiceAccountToken")).as(what).isEqualTo(false);
            assertThat(Yamls.at(pod, "volumes")).as(what).asList().anySatisfy(v -> {
                assertThat(Yamls.at(v, "name")).isEqualTo("tmp");
                assertThat(Yamls.at(v, "emptyDir.sizeLimit")).isNotNull();
            });
            for (Map<String, Object> c : Workloads.allContainers(w)) {
                String cw = what + "/" + c.get("name");
                assertThat(Yamls.at(c, "securityContext.readOnlyRootFilesystem")).as(cw).isEqualTo(true);
                assertThat(Yamls.at(c, "securityContext.allowPrivilegeEscalation")).as(cw).isEqualTo(false);
                assertThat(Yamls.at(c, "securityContext.runAsNonRoot")).as(cw).isEqualTo(true);
                assertThat(Yamls.at(c, "securityContext.capabilities.drop")).as(cw).isEqualTo(List.of("ALL"));
                assertThat(Yamls.at(c, "resources.requests")).as(cw).isNotNull();
                if (c.get("image").toString().startsWith("ghcr.io/eoscope/eoscope:")) {
                    assertThat(Yamls.at(c, "volumeMounts")).as(cw).asList().anySatisfy(v -> {
                        assertThat(Yamls.at(v, "name")).isEqualTo("tmp");
                        assertThat(Yamls.at(v, "mountPath")).isEqualTo("/tmp");
                    });
                    assertThat(Workloads.env(c)).as(cw).containsEntry("DJL_OFFLINE", "true")
                            .containsEntry("OPT_OUT_TRACKING", "true").containsEntry("DJL_CACHE_DIR", "/tmp/djl");
                }
            }
            assertThat((String) Yamls.at(w, "spec.template.metadata.annotations.checksum/config")).as(what).matches("[0-9a-f]{64}");
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void everyArgumentIsARealLauncherOption(Path values) throws IOException {
        Map<String, Set<String>> known = Map.of(
                "analyzer", LauncherOptions.of("AnalyzerCommand", "KafkaOptions", "ServiceOptions"),
                "gateway", LauncherOptions.of("GatewayCommand", "KafkaOptions"),
                "trainer", LauncherOptions.of("TrainerCommand", "KafkaOptions"));
        for (Map<String, Object> w : Workloads.of(rendered.get(values))) {
            for (Map<String, Object> c : Workloads.allContainers(w)) {
                if (!c.get("image").toString().contains("eoscope/eoscope")) {
                    continue;
                }
                List<String> args = args(c);
                assertThat(known).containsKey(args.get(0));
                assertThat(args.stream().filter(a -> a.startsWith("--")))
                        .as(values.getFileName() + " " + args.get(0)).isSubsetOf(known.get(args.get(0)));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void servicesSelectTheirPodsAndNameTheirPorts(Path values) {
        Manifests m = rendered.get(values);
        for (Map<String, Object> svc : m.ofKind("Service")) {
            Map<String, Object> selector = Yamls.map(svc, "spec.selector");
            List<Map<String, Object>> pods = m.ofKind("Deployment").stream()
                    .filter(d -> Yamls.map(d, "spec.template.metadata.labels").entrySet().containsAll(selector.entrySet()))
                    .toList();
            assertThat(pods).as("pods of " + Yamls.at(svc, "metadata.name")).hasSize(1);
            Set<Object> containerPorts = new java.util.HashSet<>();
            for (Map<String, Object> c : Workloads.allContainers(pods.get(0))) {
                Yamls.<Map<String, Object>>list(c, "ports").forEach(p -> containerPorts.add(p.get("name")));
            }
            for (Map<String, Object> port : Yamls.<Map<String, Object>>list(svc, "spec.ports")) {
                assertThat(containerPorts).contains(port.get("targetPort"));
            }
        }
        for (Map<String, Object> d : m.ofKind("Deployment")) {
            assertThat(Yamls.map(d, "spec.template.metadata.labels").entrySet())
                    .containsAll(Yamls.map(d, "spec.selector.matchLabels").entrySet());
            assertThat(Yamls.map(d, "spec.template.metadata.labels")).containsEntry("app.kubernetes.io/instance", Chart.RELEASE)
                    .containsEntry("app.kubernetes.io/name", "eoscope").containsKey("app.kubernetes.io/component");
        }
    }

    // ---- default: an existing Kafka cluster ----

    @Test
    void defaultRunsGatewayAndAnalyzerAgainstTheGivenCluster() {
        Manifests m = ci("default-values.yaml");
        String bootstrap = "kafka-0.kafka-headless.data.svc:9092,kafka-1.kafka-headless.data.svc:9092";
        Map<String, Object> gw = container(m.get("Deployment", GATEWAY), "gateway");
        assertThat(gw.get("image")).isEqualTo(image);
        assertThat(args(gw)).containsExactly("gateway", "--host", "0.0.0.0", "--port", "8080", "--grace-seconds", "300",
                "--max-runs", "50", "--bootstrap-servers", bootstrap, "--topic-prefix", "eos.", "--partitions", "4");
        assertThat(Yamls.at(gw, "ports.0.containerPort")).isEqualTo(8080);
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(Yamls.at(gw, probe + ".httpGet.path")).as(probe).isEqualTo(probe.equals("readinessProbe") ? "/ready" : "/health");
            assertThat(Yamls.at(gw, probe + ".httpGet.port")).as(probe).isEqualTo("http");
        }
        Map<String, Object> an = container(m.get("Deployment", ANALYZER), "analyzer");
        assertThat(an.get("image")).isEqualTo(image);
        List<String> a = args(an);
        assertThat(a.subList(0, 7)).containsExactly("analyzer", "--instances", "1", "--metrics-port", "9404", "--metrics-host", "0.0.0.0");
        assertThat(option(a, "--bootstrap-servers")).isEqualTo(bootstrap);
        assertThat(option(a, "--device")).isEqualTo("auto");
        assertThat(option(a, "--spectra")).isEqualTo("hessian,gauss_newton,residual");
        assertThat(option(a, "--tol")).isEqualTo("0.0001");
        assertThat(a).doesNotContain("--no-layerwise", "--kafka-config");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(Yamls.at(an, probe + ".httpGet.path")).as(probe).isEqualTo(probe.equals("readinessProbe") ? "/ready" : "/health");
            assertThat(Yamls.at(an, probe + ".httpGet.port")).as(probe).isEqualTo("metrics");
        }
        assertThat(Yamls.at(an, "ports.0.containerPort")).isEqualTo(9404);
        assertThat(Yamls.at(an, "resources.limits")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .doesNotContainKey("nvidia.com/gpu");
        assertThat(m.ofKind("Job")).isEmpty();
        assertThat(m.ofKind("ServiceMonitor")).isEmpty();
        assertThat(m.ofKind("PrometheusRule")).isEmpty();
        assertThat(m.ofKind("ConfigMap")).isEmpty();
        assertThat(m.ofKind("Kafka")).isEmpty();
        assertThat(m.ofKind("KafkaTopic")).isEmpty();
        // the network policy is on by default: gateway and analyzer accept their one port
        assertThat(Yamls.at(m.get("NetworkPolicy", GATEWAY), "spec.ingress.0.ports.0.port")).isEqualTo("http");
        assertThat(Yamls.at(m.get("NetworkPolicy", ANALYZER), "spec.ingress.0.ports.0.port")).isEqualTo("metrics");
        assertThat(Chart.template(Map.of("networkPolicy.enabled", false)).ofKind("NetworkPolicy")).isEmpty();
    }

    @Test
    void aConfigChangeChangesTheChecksumAndNothingElseDoesNot() {
        String base = checksum(Chart.template(Map.of()));
        assertThat(checksum(Chart.template(Map.of()))).isEqualTo(base);
        assertThat(checksum(Chart.template(Map.of("kafka.properties.acks", "all")))).isNotEqualTo(base);
        assertThat(checksum(Chart.template(Map.of("kafka.clientConfig.secretName", "other")))).isNotEqualTo(base);
        assertThat(checksum(Chart.template(Map.of("gateway.replicas", 3)))).isEqualTo(base);
    }

    private static String checksum(Manifests m) {
        return (String) Yamls.at(m.get("Deployment", ANALYZER), "spec.template.metadata.annotations.checksum/config");
    }

    // ---- Kafka over TLS/SASL from Secrets ----

    @Test
    void tlsAndSaslComeFromMountedSecrets() {
        Manifests m = ci("kafka-tls-sasl-values.yaml");
        for (String name : List.of(GATEWAY, ANALYZER)) {
            Map<String, Object> d = m.get("Deployment", name);
            Map<String, Object> c = Workloads.allContainers(d).get(0);
            List<String> a = args(c);
            assertThat(option(a, "--kafka-config")).isEqualTo("/etc/eoscope/kafka/client/client.properties");
            assertThat(option(a, "--kafka-property")).isEqualTo("client.dns.lookup=use_all_dns_ips");
            assertThat(option(a, "--bootstrap-servers")).isEqualTo("kafka.example.com:9093");
            assertThat(option(a, "--topic-prefix")).isEqualTo("team-a.eos.");
            assertThat(mount(c, "kafka-client")).containsEntry("mountPath", "/etc/eoscope/kafka/client").containsEntry("readOnly", true);
            assertThat(mount(c, "kafka-tls")).containsEntry("mountPath", "/etc/eoscope/kafka/tls").containsEntry("readOnly", true);
            assertThat(Yamls.at(volume(d, "kafka-client"), "secret.secretName")).isEqualTo("eoscope-kafka-client");
            assertThat(Yamls.at(volume(d, "kafka-client"), "secret.items.0.path")).isEqualTo("client.properties");
            assertThat(Yamls.at(volume(d, "kafka-tls"), "secret.secretName")).isEqualTo("eoscope-kafka-tls");
        }
        Map<String, Object> gw = container(m.get("Deployment", GATEWAY), "gateway");
        assertThat(Workloads.env(gw).get("EOS_GATEWAY_TOKEN")).isEqualTo(
                Map.of("secretKeyRef", Map.of("name", "eoscope-gateway", "key", "token")));
    }

    private static Map<String, Object> mount(Map<String, Object> container, String name) {
        return Yamls.<Map<String, Object>>list(container, "volumeMounts").stream().filter(v -> name.equals(v.get("name")))
                .findFirst().orElseThrow(() -> new AssertionError("no mount " + name));
    }

    private static Map<String, Object> volume(Map<String, Object> workload, String name) {
        return Yamls.<Map<String, Object>>list(workload, "spec.template.spec.volumes").stream()
                .filter(v -> name.equals(v.get("name"))).findFirst().orElseThrow(() -> new AssertionError("no volume " + name));
    }

    // ---- Strimzi ----

    /** An operator still on 0.4x: v1beta2 objects, with the annotations that opted into KRaft and node pools then. */
    @Test
    void strimziV1beta2ForOperatorsStillOn0x() {
        Manifests m = Chart.template(List.of(Chart.CI.resolve("strimzi-values.yaml")),
                Map.of("kafka.strimzi.apiVersion", "kafka.strimzi.io/v1beta2"));
        Map<String, Object> kafka = m.get("Kafka", FULLNAME + "-kafka");
        assertThat(kafka.get("apiVersion")).isEqualTo("kafka.strimzi.io/v1beta2");
        assertThat(Yamls.map(kafka, "metadata.annotations")).containsEntry("strimzi.io/node-pools", "enabled")
                .containsEntry("strimzi.io/kraft", "enabled");
        for (String kind : List.of("KafkaNodePool", "KafkaTopic")) {
            assertThat(m.ofKind(kind)).allSatisfy(o -> assertThat(o.get("apiVersion")).isEqualTo("kafka.strimzi.io/v1beta2"));
        }
    }

    @Test
    void strimziMakesAKraftClusterAndTheTopicsOfTopicsJava() {
        Manifests m = ci("strimzi-values.yaml");
        String cluster = FULLNAME + "-kafka";
        Map<String, Object> kafka = m.get("Kafka", cluster);
        // Strimzi 1.x serves kafka.strimzi.io/v1 only, where KRaft and node pools need no annotation and .spec is required
        for (String kind : List.of("Kafka", "KafkaNodePool", "KafkaTopic")) {
            for (Map<String, Object> o : m.ofKind(kind)) {
                assertThat(o.get("apiVersion")).as(kind).isEqualTo("kafka.strimzi.io/v1");
                assertThat(o.get("spec")).as(kind + " .spec").isInstanceOf(Map.class);
            }
        }
        assertThat(Yamls.at(kafka, "metadata")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .doesNotContainKey("annotations");
        assertThat(Yamls.at(kafka, "spec.kafka.listeners.0.port")).isEqualTo(9092);
        assertThat(Yamls.map(kafka, "spec.kafka.config")).containsEntry("default.replication.factor", 3)
                .containsEntry("min.insync.replicas", 2).containsEntry("offsets.topic.replication.factor", 3)
                .containsEntry("message.max.bytes", 10485760); // a whole number, not 1.048576e+07
        assertThat(Yamls.map(kafka, "spec.entityOperator")).containsKey("topicOperator");
        Map<String, Object> pool = m.ofKind("KafkaNodePool").get(0);
        assertThat(Yamls.map(pool, "metadata.labels")).containsEntry("strimzi.io/cluster", cluster);
        assertThat(Yamls.at(pool, "spec.roles")).isEqualTo(List.of("controller", "broker"));
        assertThat(Yamls.at(pool, "spec.replicas")).isEqualTo(3);
        assertThat(Yamls.at(pool, "spec.storage.volumes.0.type")).isEqualTo("persistent-claim");
        assertThat(Yamls.at(pool, "spec.storage.volumes.0.size")).isEqualTo("20Gi");

        // Topics.definitions(partitions, replication): runs, datasets and deadletter have one partition
        Map<String, Object> compact = Map.of("cleanup.policy", "compact");
        Map<String, Object> forever = Map.of("retention.ms", -1, "retention.bytes", -1);
        Map<String, List<Object>> expected = new LinkedHashMap<>();
        expected.put("eos.runs", List.of(1, compact));
        expected.put("eos.datasets", List.of(1, compact));
        expected.put("eos.snapshots", List.of(4, forever));
        expected.put("eos.metrics", List.of(4, compact));
        expected.put("eos.telemetry", List.of(4, Map.of("retention.ms", 604800000)));
        expected.put("eos.replays", List.of(4, Map.of("retention.ms", 604800000)));
        expected.put("eos.deadletter", List.of(1, forever));
        Map<String, List<Object>> actual = new LinkedHashMap<>();
        for (Map<String, Object> t : m.ofKind("KafkaTopic")) {
            assertThat(Yamls.map(t, "metadata.labels")).containsEntry("strimzi.io/cluster", cluster);
            assertThat(Yamls.at(t, "spec.replicas")).isEqualTo(3);
            actual.put((String) Yamls.at(t, "spec.topicName"), List.of(Yamls.at(t, "spec.partitions"), Yamls.at(t, "spec.config")));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(topicNamesInTopicsJava()).containsExactlyInAnyOrderElementsOf(
                expected.keySet().stream().map(n -> n.substring("eos.".length())).toList());

        String bootstrap = cluster + "-kafka-bootstrap:9092";
        for (Map<String, Object> w : Workloads.of(m)) {
            Map<String, Object> main = Yamls.<Map<String, Object>>list(w, "spec.template.spec.containers").get(0);
            assertThat(option(args(main), "--bootstrap-servers")).as((String) Yamls.at(w, "metadata.name")).isEqualTo(bootstrap);
        }
        Map<String, Object> wait = container(m.get("Job", FULLNAME + "-run-xor-gd"), "wait-for-kafka");
        assertThat(Workloads.env(wait)).containsEntry("BOOTSTRAP", bootstrap);
    }

    @Test
    void retentionValuesGoIntoTheSnapshotAndTelemetryTopicsOnly() {
        Manifests base = ci("strimzi-values.yaml");
        Manifests m = Chart.template(List.of(Chart.CI.resolve("strimzi-values.yaml")), Map.of("kafka.retention.snapshots", "30d",
                "kafka.retention.snapshotBytes", "50GiB", "kafka.retention.telemetry", "12h"));
        // whole numbers of milliseconds and bytes, as Kafka's topic configs take them (30 d = 2,592,000,000 ms)
        assertThat(topicConfig(m, "eos.snapshots")).isEqualTo(Map.of("retention.ms", 2_592_000_000L, "retention.bytes", 53_687_091_200L));
        assertThat(topicConfig(m, "eos.telemetry")).isEqualTo(Map.of("retention.ms", 43_200_000));
        for (String topic : List.of("eos.runs", "eos.datasets", "eos.metrics", "eos.replays", "eos.deadletter")) {
            assertThat(topicConfig(m, topic)).as(topic).isEqualTo(topicConfig(base, topic));
        }
        Manifests other = Chart.template(List.of(Chart.CI.resolve("strimzi-values.yaml")), Map.of("kafka.retention.snapshots", "90m",
                "kafka.retention.snapshotBytes", "500MiB", "kafka.retention.telemetry", "forever"));
        assertThat(topicConfig(other, "eos.snapshots")).isEqualTo(Map.of("retention.ms", 5_400_000, "retention.bytes", 524_288_000));
        assertThat(topicConfig(other, "eos.telemetry")).isEqualTo(Map.of("retention.ms", -1));
        assertThat(topicConfig(Chart.template(List.of(Chart.CI.resolve("strimzi-values.yaml")), Map.of(
                "kafka.retention.snapshotBytes", "2TiB")), "eos.snapshots")).isEqualTo(Map.of("retention.ms", -1, "retention.bytes", 2_199_023_255_552L));
        // the topics are Strimzi's: the services are not told the retention
        for (Map<String, Object> w : Workloads.of(m)) {
            for (Map<String, Object> c : Workloads.allContainers(w)) {
                assertThat(String.valueOf(c.get("args"))).as(Yamls.at(w, "metadata.name") + "/" + c.get("name")).doesNotContain("retention");
            }
        }
    }

    private static Object topicConfig(Manifests m, String topicName) {
        return m.ofKind("KafkaTopic").stream().filter(t -> topicName.equals(Yamls.at(t, "spec.topicName"))).findFirst()
                .map(t -> Yamls.at(t, "spec.config")).orElseThrow(() -> new AssertionError("no KafkaTopic " + topicName));
    }

    /** The topic constants of the wire module's Topics.java, so a new topic cannot miss the chart. */
    private static List<String> topicNamesInTopicsJava() {
        try {
            String source = Files.readString(Chart.DEPLOY.resolve("../wire/src/main/java/io/eoscope/wire/Topics.java"));
            Matcher constant = Pattern.compile("public static final String [A-Z]+ = \"([a-z]+)\";").matcher(source);
            List<String> names = new java.util.ArrayList<>();
            while (constant.find()) {
                names.add(constant.group(1));
            }
            return names;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- monitoring ----

    @Test
    void monitoringAddsServiceMonitorsTheRulesAndOneDashboardPerFile() throws IOException {
        Manifests m = ci("monitoring-values.yaml");
        assertThat(m.ofKind("ServiceMonitor")).hasSize(2).allSatisfy(sm -> {
            assertThat(Yamls.map(sm, "metadata.labels")).containsEntry("release", "kube-prometheus-stack");
            Map<String, Object> selector = Yamls.map(sm, "spec.selector.matchLabels");
            List<Map<String, Object>> services = m.ofKind("Service").stream()
                    .filter(s -> Yamls.map(s, "metadata.labels").entrySet().containsAll(selector.entrySet())).toList();
            assertThat(services).as("services of " + Yamls.at(sm, "metadata.name")).hasSize(1);
            assertThat(Yamls.at(services.get(0), "spec.ports.0.name")).isEqualTo(Yamls.at(sm, "spec.endpoints.0.port"));
            assertThat(Yamls.at(sm, "spec.endpoints.0.path")).isEqualTo("/metrics");
            assertThat(Yamls.at(sm, "spec.endpoints.0.interval")).isEqualTo("15s");
        });
        Map<String, Object> rule = m.get("PrometheusRule", FULLNAME);
        assertThat(Yamls.map(rule, "metadata.labels")).containsEntry("release", "kube-prometheus-stack");
        Map<String, Object> rules = Chart.yaml().load(Files.readString(Chart.RULES));
        assertThat(Yamls.at(rule, "spec.groups")).isEqualTo(rules.get("groups")).asList().isNotEmpty();

        List<Path> dashboards = ChartLintTest.dashboards();
        List<Map<String, Object>> maps = m.ofKind("ConfigMap");
        assertThat(maps).hasSize(dashboards.size());
        for (Path d : dashboards) {
            String file = d.getFileName().toString();
            Map<String, Object> cm = maps.stream().filter(c -> Yamls.map(c, "data").containsKey(file)).findFirst()
                    .orElseThrow(() -> new AssertionError("no dashboard ConfigMap holds " + file));
            assertThat(Yamls.map(cm, "metadata.labels")).containsEntry("grafana_dashboard", "1");
            assertThat(Yamls.map(cm, "metadata.annotations")).containsEntry("grafana_folder", "eoscope");
            assertThat(Yamls.map(cm, "data").get(file)).isEqualTo(Files.readString(d).strip());
        }
        // each is rendered only when enabled
        Manifests off = Chart.template(List.of(Chart.CI.resolve("monitoring-values.yaml")), Map.of(
                "monitoring.dashboards.enabled", false, "monitoring.serviceMonitor.enabled", false,
                "monitoring.prometheusRule.enabled", false));
        assertThat(off.ofKind("ConfigMap")).isEmpty();
        assertThat(off.ofKind("ServiceMonitor")).isEmpty();
        assertThat(off.ofKind("PrometheusRule")).isEmpty();
        // the monitoring namespace reaches the gateway and the metrics port; the test pod is let in too
        assertThat(Yamls.<Object>list(m.get("NetworkPolicy", GATEWAY), "spec.ingress.0.from")).hasSize(3);
    }

    @Test
    void oneDashboardConfigMapPerJsonFileWhateverTheirNumber(@org.junit.jupiter.api.io.TempDir Path scratch) throws IOException {
        Path chart = Chart.copy(scratch);
        Path dir = chart.resolve("files/dashboards");
        int before = ChartLintTest.dashboards().size();
        for (String name : List.of("extra-one", "extra_two")) {
            Files.writeString(dir.resolve(name + ".json"), "{\"uid\": \"" + name + "\", \"title\": \"{{ $labels.run }}\"}");
        }
        Files.writeString(dir.resolve("notes.txt"), "not a dashboard");
        Manifests m = Chart.template(chart, List.of(), Map.of("monitoring.dashboards.enabled", true));
        assertThat(m.ofKind("ConfigMap")).hasSize(before + 2);
        Map<String, Object> two = m.get("ConfigMap", FULLNAME + "-dashboard-extra-two");
        assertThat(Yamls.map(two, "data")).containsEntry("extra_two.json", "{\"uid\": \"extra_two\", \"title\": \"{{ $labels.run }}\"}");
        assertThat(Chart.template(chart, List.of(), Map.of()).ofKind("ConfigMap")).isEmpty();
    }

    // ---- GPU ----

    @Test
    void gpuAnalyzersAskForTheGpuAndLandOnGpuNodes() {
        Manifests m = ci("gpu-values.yaml");
        Map<String, Object> d = m.get("Deployment", ANALYZER);
        Map<String, Object> c = container(d, "analyzer");
        assertThat(option(args(c), "--device")).isEqualTo("gpu");
        assertThat(option(args(c), "--analysis-dtype")).isEqualTo("float32");
        assertThat(Yamls.map(c, "resources.limits")).containsEntry("nvidia.com/gpu", 1).containsEntry("memory", "16Gi");
        assertThat(c.get("image")).isEqualTo("ghcr.io/eoscope/eoscope:0.1.0-cuda");
        assertThat(Yamls.map(d, "spec.template.spec.nodeSelector")).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(Yamls.<Map<String, Object>>list(d, "spec.template.spec.tolerations"))
                .anySatisfy(t -> assertThat(t).containsEntry("key", "nvidia.com/gpu").containsEntry("operator", "Exists"));
        assertThat(Yamls.at(d, "spec.replicas")).isEqualTo(2);
        // the gateway stays on the CPU image
        assertThat(container(m.get("Deployment", GATEWAY), "gateway").get("image")).isEqualTo(image);
    }

    // ---- training runs ----

    @Test
    @SuppressWarnings("unchecked")
    void eachRunIsAJobWithItsRunJson() throws IOException {
        Manifests m = ci("training-values.yaml");
        assertThat(m.ofKind("Job")).hasSize(2);
        Set<String> fields = runConfigFields();
        Object checksumA = null;
        for (String run : List.of("xor-gd", "synthetic-ee")) {
            String name = FULLNAME + "-run-" + run;
            Map<String, Object> job = m.get("Job", name);
            Map<String, Object> cm = m.get("ConfigMap", name);
            String json = (String) Yamls.map(cm, "data").get("run.json");
            Map<String, Object> runJson = Chart.yaml().load(json);
            assertThat(runJson.keySet()).as("run.json fields = RunConfig's").isEqualTo(fields);
            assertThat(runJson).containsEntry("run", run).containsEntry("dtype", "float64");
            Map<String, Object> c = container(job, "trainer");
            assertThat(c.get("image")).isEqualTo(image);
            List<String> a = args(c);
            assertThat(a.subList(0, 5)).containsExactly("trainer", "--config", "/etc/eoscope/run/run.json", "--out", "/data/run");
            assertThat(option(a, "--bootstrap-servers")).isEqualTo("kafka:9092");
            assertThat(mount(c, "run")).containsEntry("mountPath", "/etc/eoscope/run");
            assertThat(Yamls.at(volume(job, "run"), "configMap.name")).isEqualTo(name);
            assertThat(mount(c, "data")).containsEntry("mountPath", "/data").containsEntry("subPath", run);
            assertThat(Yamls.at(volume(job, "data"), "persistentVolumeClaim.claimName")).isEqualTo("eoscope-runs");
            assertThat(Yamls.at(job, "spec.template.spec.restartPolicy")).isEqualTo("Never");
            assertThat(Yamls.at(job, "spec.backoffLimit")).isEqualTo(0);
            assertThat(Yamls.at(job, "spec.ttlSecondsAfterFinished")).isEqualTo(604800);
            assertThat(Yamls.map(job, "spec.template.metadata.labels")).containsEntry("eoscope.io/run", run);
            Object checksum = Yamls.at(job, "spec.template.metadata.annotations.checksum/config");
            assertThat(checksum).isNotEqualTo(checksumA);
            checksumA = checksum;
        }
        Map<String, Object> xor = Chart.yaml().load((String) Yamls.map(m.get("ConfigMap", FULLNAME + "-run-xor-gd"), "data").get("run.json"));
        assertThat(xor).containsEntry("dataset", "xor").containsEntry("n", 64).containsEntry("classes", 2)
                .containsEntry("architecture", "2-32-32-2").containsEntry("learningRate", 0.04).containsEntry("steps", 2000)
                .containsEntry("snapshotEvery", 100).containsEntry("dataDir", null).containsEntry("modelFile", null)
                .containsEntry("init", "xavier").containsEntry("preprocess", "none")
                // the optimizer as eos train writes it: the rule's own hyper-parameters, null for those it does not use
                .containsEntry("optimizer", "momentum").containsEntry("momentum", 0.8).containsEntry("batchSize", 16)
                .containsEntry("beta1", null).containsEntry("weightDecay", null).containsEntry("snapshotAtEdge", false);
        String ee = (String) Yamls.map(m.get("ConfigMap", FULLNAME + "-run-synthetic-ee"), "data").get("run.json");
        assertThat(ee).contains("\"steps\": 1000000").doesNotContain("e+");
        // as eos train: every 100 steps only when no snapshot rule is given
        assertThat((Map<String, Object>) Chart.yaml().load(ee)).containsEntry("snapshotEvery", 0).containsEntry("snapshotDt", 0.5);
        assertThat(container(m.get("Job", FULLNAME + "-run-synthetic-ee"), "trainer").get("resources"))
                .isEqualTo(Map.of("requests", Map.of("cpu", "2", "memory", "4Gi"), "limits", Map.of("memory", "8Gi")));
        // a run's zero or false overrides the defaults
        Manifests zero = Chart.template(Map.of("trainer.runDefaults.steps", 500, "trainer.runDefaults.strict", true,
                "runs[0].name", "a", "runs[0].config.architecture", "2-8-2", "runs[0].config.steps", 0,
                "runs[0].config.untilTime", 5, "runs[0].config.strict", false));
        assertThat((Map<String, Object>) Chart.yaml().load((String) Yamls.map(zero.get("ConfigMap", FULLNAME + "-run-a"), "data")
                .get("run.json"))).containsEntry("steps", 0).containsEntry("strict", false).containsEntry("untilTime", 5);
        // without a claim, the run's files go to an emptyDir
        Manifests plain = Chart.template(Map.of("runs[0].name", "a", "runs[0].config.architecture", "2-8-2", "runs[0].config.steps", 5));
        assertThat(Yamls.at(volume(plain.get("Job", FULLNAME + "-run-a"), "data"), "emptyDir.sizeLimit")).isEqualTo("2Gi");
        assertThat(plain.get("NetworkPolicy", FULLNAME + "-trainer")).extracting(p -> Yamls.at(p, "spec.ingress")).isNull();
    }

    /** The components of {@code record RunConfig(...)}: what run.json holds. */
    private static Set<String> runConfigFields() throws IOException {
        String source = Files.readString(Chart.DEPLOY.resolve("../trainer/src/main/java/io/eoscope/trainer/run/RunConfig.java"));
        Matcher header = Pattern.compile("public record RunConfig\\(([^)]*)\\)").matcher(source);
        assertThat(header.find()).isTrue();
        Set<String> names = new java.util.TreeSet<>();
        for (String component : header.group(1).split(",")) {
            String[] parts = component.trim().split("\\s+");
            names.add(parts[parts.length - 1]);
        }
        return names;
    }
}
