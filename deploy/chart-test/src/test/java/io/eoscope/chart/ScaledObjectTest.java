package io.eoscope.chart;

import static io.eoscope.chart.Workloads.args;
import static io.eoscope.chart.Workloads.container;
import static io.eoscope.chart.Workloads.option;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** analyzer.autoscaling: a KEDA ScaledObject on the analyzers' lag, bounded by the snapshots topic's partitions. */
class ScaledObjectTest {
    static final String ANALYZER = ManifestTest.ANALYZER;
    static final Path CI = Chart.CI.resolve("autoscaling-values.yaml");
    static final CrdSchema KEDA = CrdSchema.load("/keda/scaledobject-v1alpha1-openapi.yaml");

    @TempDir
    Path scratch;

    private static Manifests autoscaled(Map<String, Object> set) {
        Map<String, Object> all = new LinkedHashMap<>(set);
        all.put("analyzer.autoscaling.enabled", true);
        return Chart.template(all);
    }

    private static String error(Map<String, Object> set) {
        Throwable t = catchThrowable(() -> autoscaled(set));
        assertThat(t).as("rendering with " + set + " should fail").isNotNull();
        return t.getMessage();
    }

    @Test
    void offByDefaultAndTheDeploymentKeepsItsReplicas() {
        Manifests m = Chart.template(Map.of("analyzer.replicas", 3));
        assertThat(m.ofKind("ScaledObject")).isEmpty();
        assertThat(Yamls.at(m.get("Deployment", ANALYZER), "spec.replicas")).isEqualTo(3);
    }

    @Test
    void theScaledObjectScalesTheAnalyzerDeploymentOnItsGroupsLag() {
        Manifests m = Chart.template(CI);
        Map<String, Object> deployment = m.get("Deployment", ANALYZER);
        // KEDA's HorizontalPodAutoscaler owns the replicas: a pinned count would fight it on every upgrade
        assertThat(Yamls.map(deployment, "spec")).doesNotContainKey("replicas");
        Map<String, Object> so = m.get("ScaledObject", ANALYZER);
        assertThat(so.get("apiVersion")).isEqualTo("keda.sh/v1alpha1");
        assertThat(Yamls.at(so, "metadata.namespace")).isEqualTo(Chart.NAMESPACE);
        assertThat(Yamls.map(so, "metadata.labels")).containsEntry("app.kubernetes.io/component", "analyzer");
        assertThat(Yamls.map(so, "spec.scaleTargetRef"))
                .isEqualTo(Map.of("apiVersion", "apps/v1", "kind", "Deployment", "name", ANALYZER));
        assertThat(Yamls.at(so, "spec.minReplicaCount")).isEqualTo(1);
        assertThat(Yamls.at(so, "spec.maxReplicaCount")).as("kafka.partitions, one instance per pod").isEqualTo(8);
        assertThat(Yamls.at(so, "spec.pollingInterval")).isEqualTo(15);
        assertThat(Yamls.at(so, "spec.cooldownPeriod")).isEqualTo(600);
        List<Map<String, Object>> triggers = Yamls.list(so, "spec.triggers");
        assertThat(triggers).hasSize(1);
        Map<String, Object> trigger = triggers.get(0);
        assertThat(trigger.get("type")).isEqualTo("kafka");
        // the scaler watches what the analyzers consume: their bootstrap, group and snapshots topic
        List<String> analyzerArgs = args(container(deployment, "analyzer"));
        assertThat(Yamls.map(trigger, "metadata")).isEqualTo(Map.of(
                "bootstrapServers", option(analyzerArgs, "--bootstrap-servers"),
                "consumerGroup", option(analyzerArgs, "--group"),
                "topic", option(analyzerArgs, "--topic-prefix") + "snapshots",
                "lagThreshold", "20",
                "activationLagThreshold", "2",
                "offsetResetPolicy", "earliest",
                "allowIdleConsumers", "false"));
        assertThat(Yamls.map(trigger, "metadata")).containsEntry("bootstrapServers", "kafka-0.kafka-headless.data.svc:9092")
                .containsEntry("consumerGroup", "eos-analyzers-keda").containsEntry("topic", "eos.snapshots");
        assertThat(Yamls.map(trigger, "authenticationRef"))
                .isEqualTo(Map.of("name", "eoscope-kafka-keda", "kind", "TriggerAuthentication"));
    }

    @Test
    void theDefaultsFollowTheValuesAndStrimzisBootstrap() {
        Manifests m = autoscaled(Map.of("kafka.strimzi.enabled", true, "kafka.topicPrefix", "team-a.", "kafka.partitions", 6));
        Map<String, Object> so = m.get("ScaledObject", ANALYZER);
        assertThat(Yamls.at(so, "spec.minReplicaCount")).isEqualTo(1);
        assertThat(Yamls.at(so, "spec.maxReplicaCount")).isEqualTo(6);
        assertThat(Yamls.at(so, "spec.pollingInterval")).isEqualTo(30);
        assertThat(Yamls.at(so, "spec.cooldownPeriod")).isEqualTo(300);
        assertThat(Yamls.map(so, "spec.triggers.0.metadata")).containsEntry("bootstrapServers", ManifestTest.FULLNAME
                + "-kafka-kafka-bootstrap:9092").containsEntry("consumerGroup", "eos-analyzers").containsEntry("topic", "team-a.snapshots")
                .containsEntry("lagThreshold", "10").containsEntry("activationLagThreshold", "0");
        assertThat(Yamls.map(so, "spec.triggers.0")).doesNotContainKey("authenticationRef");
        assertThat(autoscaled(Map.of("analyzer.enabled", false)).ofKind("ScaledObject")).isEmpty();
        Map<String, Object> cluster = Yamls.map(autoscaled(Map.of("analyzer.autoscaling.authenticationRef.name", "keda-kafka",
                "analyzer.autoscaling.authenticationRef.kind", "ClusterTriggerAuthentication")).get("ScaledObject", ANALYZER),
                "spec.triggers.0.authenticationRef");
        assertThat(cluster).isEqualTo(Map.of("name", "keda-kafka", "kind", "ClusterTriggerAuthentication"));
    }

    @Test
    void maxReplicasIsAtMostThePodsThePartitionsKeepBusy() {
        assertThat(Yamls.at(autoscaled(Map.of("analyzer.autoscaling.maxReplicas", 4)).get("ScaledObject", ANALYZER),
                "spec.maxReplicaCount")).isEqualTo(4);
        assertThat(Yamls.at(autoscaled(Map.of("analyzer.autoscaling.maxReplicas", 2)).get("ScaledObject", ANALYZER),
                "spec.maxReplicaCount")).isEqualTo(2);
        assertThat(error(Map.of("analyzer.autoscaling.maxReplicas", 5))).contains("analyzer.autoscaling.maxReplicas is 5")
                .contains("above kafka.partitions (4)").contains("eos.snapshots").contains("raise kafka.partitions");
        // each pod is analyzer.instances consumers: 8 partitions keep ceil(8 / 3) = 3 pods busy
        Manifests three = autoscaled(Map.of("kafka.partitions", 8, "analyzer.instances", 3));
        assertThat(Yamls.at(three.get("ScaledObject", ANALYZER), "spec.maxReplicaCount")).isEqualTo(3);
        assertThat(error(Map.of("kafka.partitions", 8, "analyzer.instances", 3, "analyzer.autoscaling.maxReplicas", 4)))
                .contains("analyzer.autoscaling.maxReplicas is 4, above 3").contains("analyzer.instances (3)")
                .contains("kafka.partitions (8");
        assertThat(error(Map.of("analyzer.autoscaling.minReplicas", 5, "analyzer.autoscaling.maxReplicas", 3)))
                .contains("analyzer.autoscaling.minReplicas (5) is above analyzer.autoscaling.maxReplicas (3)");
        assertThat(error(Map.of("analyzer.autoscaling.minReplicas", 5))).contains("analyzer.autoscaling.minReplicas (5)");
    }

    @Test
    void theSchemaRefusesNonsenseWithItsPath() {
        assertThat(error(Map.of("analyzer.autoscaling.maxReplicas", 0))).contains("/analyzer/autoscaling/maxReplicas");
        assertThat(error(Map.of("analyzer.autoscaling.lagThreshold", 0))).contains("/analyzer/autoscaling/lagThreshold");
        assertThat(error(Map.of("analyzer.autoscaling.minReplicas", -1))).contains("/analyzer/autoscaling/minReplicas");
        assertThat(error(Map.of("analyzer.autoscaling.pollingInterval", "30s"))).contains("/analyzer/autoscaling/pollingInterval");
        assertThat(error(Map.of("analyzer.autoscaling.authenticationRef.kind", "Secret")))
                .contains("/analyzer/autoscaling/authenticationRef/kind");
        assertThat(error(Map.of("analyzer.autoscaling.maxReplica", 2))).contains("/analyzer/autoscaling")
                .contains("'maxReplica' not allowed");
    }

    @Test
    void theNotesSayWhoSetsTheAnalyzerPods() {
        assertThat(notes(Map.of("analyzer.autoscaling.enabled", true, "kafka.partitions", 6)))
                .contains("KEDA scales the analyzer pods (1 instance(s) each, consumer group eos-analyzers) on the group's lag on "
                        + "eos.snapshots: 1 to 6 pods, 10 records of lag per pod.")
                .contains("get scaledobject,hpa").doesNotContain("authenticationRef").doesNotContain("analyzer pod(s) x");
        assertThat(notes(Map.of("analyzer.autoscaling.enabled", true, "kafka.clientConfig.secretName", "eoscope-kafka-client")))
                .contains("the scaler has no analyzer.autoscaling.authenticationRef");
        assertThat(notes(Map.of("analyzer.replicas", 2))).contains("\n\n2 analyzer pod(s) x 1 instance(s) in consumer group eos-analyzers.")
                .doesNotContain("KEDA");
    }

    /** NOTES.txt as {@code helm install --dry-run} prints it (helm template leaves it out). */
    private static String notes(Map<String, Object> set) {
        com.marcnuri.helm.InstallCommand install = new com.marcnuri.helm.Helm(Chart.DIR).install().withName(Chart.RELEASE)
                .withNamespace(Chart.NAMESPACE).withKubeVersion(Chart.KUBE_VERSION).clientOnly().dryRun();
        set.forEach(install::set);
        return install.call().getOutput();
    }

    // ---- against KEDA's own CRD schema ----

    @Test
    void everyRenderedScaledObjectMatchesKedasCrdSchema() {
        List<Manifests> variants = List.of(Chart.template(CI), autoscaled(Map.of()),
                autoscaled(Map.of("analyzer.autoscaling.minReplicas", 0, "analyzer.autoscaling.maxReplicas", 1)),
                autoscaled(Map.of("analyzer.autoscaling.authenticationRef.name", "keda-kafka",
                        "analyzer.autoscaling.authenticationRef.kind", "ClusterTriggerAuthentication", "kafka.strimzi.enabled", true)));
        for (Manifests m : variants) {
            Map<String, Object> so = m.get("ScaledObject", ANALYZER);
            assertThat(KEDA.problems(so, scratch)).as(KEDA + " on " + so).isEmpty();
        }
    }

    @Test
    void kedasCrdSchemaRefusesAWronglyShapedScaledObject() {
        Map<String, Object> good = Chart.template(CI).get("ScaledObject", ANALYZER);
        assertThat(KEDA.problems(good, scratch)).isEmpty();
        assertRefused(good, so -> trigger(so).remove("type"), "/spec/triggers/0", "type");
        assertRefused(good, so -> spec(so).put("minReplicaCount", "1"), "/spec/minReplicaCount", "integer");
        assertRefused(good, so -> spec(so).put("maxReplicaCount", 0), "/spec/maxReplicaCount", "minimum");
        assertRefused(good, so -> metadata(so).put("lagThreshold", 20), "/spec/triggers/0/metadata/lagThreshold", "string");
        assertRefused(good, so -> spec(so).put("minReplicas", 1), "/spec", "'minReplicas' not allowed");
        assertRefused(good, so -> spec(so).remove("scaleTargetRef"), "/spec", "scaleTargetRef");
        assertRefused(good, so -> spec(so).put("triggers", List.of()), "/spec/triggers", "minItems");
        assertRefused(good, so -> Yamls.map(so, "spec.triggers.0.authenticationRef").put("kind", "Secret"),
                "/spec/triggers/0/authenticationRef/kind", "must be one of");
    }

    private void assertRefused(Map<String, Object> good, Consumer<Map<String, Object>> breakIt, String path, String words) {
        Map<String, Object> bad = deepCopy(good);
        breakIt.accept(bad);
        String problems = KEDA.problems(bad, scratch);
        assertThat(problems).as("a broken ScaledObject: " + bad).contains("at '" + path).contains(words);
    }

    private static Map<String, Object> spec(Map<String, Object> so) {
        return Yamls.map(so, "spec");
    }

    private static Map<String, Object> trigger(Map<String, Object> so) {
        return Yamls.map(so, "spec.triggers.0");
    }

    private static Map<String, Object> metadata(Map<String, Object> so) {
        return Yamls.map(so, "spec.triggers.0.metadata");
    }

    @SuppressWarnings("unchecked")
    private static <T> T deepCopy(T node) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, deepCopy(v)));
            return (T) out;
        }
        if (node instanceof List<?> l) {
            return (T) new java.util.ArrayList<>(l.stream().map(ScaledObjectTest::deepCopy).toList());
        }
        return node;
    }
}
