package io.eoscope.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) inside this JVM, for {@code eos demo}
 * and integration tests. Its log lives in a directory that survives restarts. The services never know it: they
 * take a bootstrap address like any other client.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaRaftServer server;
    private final int port;
    private final int controllerPort;
    private final Path logDir;

    /** The log directories of the brokers running in this JVM. */
    private static final java.util.Set<Path> LOCKED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final FileChannel lockChannel;
    private final FileLock lock;

    private EmbeddedKafka(KafkaRaftServer server, int port, int controllerPort, Path logDir, FileChannel lockChannel, FileLock lock) {
        this.server = server;
        this.port = port;
        this.controllerPort = controllerPort;
        this.logDir = logDir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Starts a broker on free loopback ports with its log in {@code dir} (formatted on first use). */
    public static EmbeddedKafka start(Path dir) throws Exception {
        return start(dir, freePort(), freePort());
    }

    /** Starts a broker on the given ports (to restart one where its clients expect it). */
    public static EmbeddedKafka start(Path dir, int port, int controllerPort) throws Exception {
        Path logDir = dir.toAbsolutePath();
        Files.createDirectories(logDir);
        // Kafka locks its log directory only after its metadata layer has started: a second broker on a live
        // one's directory can corrupt it first. This lock is taken before anything of Kafka runs: a set for the
        // brokers of this JVM (closing any channel of a file drops all of a process's POSIX locks on it, so a
        // second channel must never be opened here), a file lock for the other processes.
        if (!LOCKED.add(logDir)) {
            throw new BrokerConflictException("--data-dir " + dir + " is in use by another running broker");
        }
        FileChannel lockChannel;
        FileLock lock;
        try {
            lockChannel = FileChannel.open(logDir.resolve(".eos-broker.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
            if (lock == null) {
                lockChannel.close();
                throw new BrokerConflictException("--data-dir " + dir + " is in use by another running broker");
            }
        } catch (IOException | RuntimeException | BrokerConflictException e) {
            LOCKED.remove(logDir);
            throw e;
        }
        for (int p : new int[] {port, controllerPort}) {
            if (!free(p)) {
                lock.release();
                lockChannel.close();
                LOCKED.remove(logDir);
                throw new BrokerConflictException("port " + p + " on 127.0.0.1 is in use (" + (p == port ? "--port" : "--controller-port") + ")");
            }
        }
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "4");
        p.put("log.cleaner.backoff.ms", "1000"); // compaction is checked every second, not every 15 (a small, local broker)
        KafkaConfig config = KafkaConfig.fromProps(p, false);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            new Formatter().setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(1).setClusterId(Uuid.randomUuid().toString()).addDirectory(logDir.toString())
                    .setReleaseVersion(MetadataVersion.latestProduction()).setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setControllerListenerName("CONTROLLER").setMetadataLogDirectory(logDir.toString()).run();
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(server, port, controllerPort, logDir, lockChannel, lock);
        kafka.awaitReady(Duration.ofSeconds(60));
        return kafka;
    }

    private void awaitReady(Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get().isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("the embedded Kafka broker did not become ready in " + timeout, e);
                    }
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the embedded Kafka broker did not become ready in " + timeout);
                }
            }
        }
    }

    /** {@code 127.0.0.1:port}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    /** Where the broker keeps its log. */
    public Path logDir() {
        return logDir;
    }

    /** Stops the broker (its log stays for the next start). */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // the process is ending: the operating system releases the lock
        } finally {
            LOCKED.remove(logDir);
        }
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // as Kafka's own listener: a port whose old connections linger in TIME_WAIT is free
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A free loopback port. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
