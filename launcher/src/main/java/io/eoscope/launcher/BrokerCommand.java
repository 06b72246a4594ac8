package io.eoscope.launcher;

import io.eoscope.broker.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code eos broker}: the embedded single-node KRaft broker of {@code eos demo} as a process of its own, so
 * that trainer, analyzers and gateway can be started, killed and restarted around it. For development and
 * tests: one node, no replication, no security.
 */
@Command(name = "broker", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a single-node Kafka broker (KRaft, broker and controller in one) on 127.0.0.1 until stopped,",
            "for development: start the services against it with --bootstrap-servers 127.0.0.1:PORT. Its log",
            "stays in --data-dir, so a restart keeps every topic. Not for production: one node, no replication."})
final class BrokerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerCommand.class);

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "where the broker keeps its log (created if absent)")
    Path dataDir;

    @Option(names = "--port", defaultValue = "9092", description = "client port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--controller-port", defaultValue = "-1",
            description = "the KRaft controller's port (default: --port + 1)")
    int controllerPort;

    @Override
    public Integer call() throws Exception {
        int controller = controllerPort < 0 ? port + 1 : controllerPort;
        for (int[] p : new int[][] {{port, 0}, {controller, 1}}) {
            if (p[0] < 1 || p[0] > 65535) {
                throw new UsageException((p[1] == 0 ? "--port" : "--controller-port") + " must be in 1..65535, got " + p[0]);
            }
        }
        if (controller == port) {
            throw new UsageException("--controller-port must differ from --port (" + port + ")");
        }
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw new UsageException("--data-dir " + dataDir + " is not a directory");
        }
        try (StopSignal stop = StopSignal.install(); EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, port, controller)) {
            LOG.info("broker ready on {} (controller on port {}), log in {}", kafka.bootstrapServers(), controller,
                    kafka.logDir());
            System.err.println("eos broker: ready on " + kafka.bootstrapServers() + "; Ctrl-C stops");
            stop.await(Long.MAX_VALUE);
            LOG.info("broker stopping");
        }
        return 0;
    }
}
