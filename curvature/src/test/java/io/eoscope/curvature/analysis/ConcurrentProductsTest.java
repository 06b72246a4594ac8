package io.eoscope.curvature.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;
import io.eoscope.curvature.net.Network;
import io.eoscope.curvature.testing.TestProblems;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Two threads analysing at once (each with its own products, as the analyzer runs them) get exactly
 * the numbers one thread gets alone: autograd state is per instance and grad mode per thread. libtorch's
 * intra-op pool is held to one thread here: with several, two callers competing for the pool may get
 * differently split reductions, whose last-bit differences an eigen-solver can amplify (seen under load:
 * 1e-3 on a near-degenerate residual eigenvalue). That is rounding, not shared state, which this test is about.
 */
class ConcurrentProductsTest {

    @Test
    void twoThreadsGiveTheSameNumbersAsOne() throws Exception {
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
        try {
            compareConcurrentWithAlone();
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
    }

    private void compareConcurrentWithAlone() throws Exception {
        MlpModel ce = TestProblems.model("6-24-24-4", Activation.ELU, Loss.CROSS_ENTROPY, 81);
        MlpModel mse = TestProblems.model("6-24-24-4", Activation.TANH, Loss.MSE, 82);
        LabeledData data = TestProblems.data(64, 6, 4, 83);
        String aloneCe = analyse(ce, data);
        String aloneMse = analyse(mse, data);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<String>> results = new ArrayList<>();
                for (MlpModel model : new MlpModel[] {ce, mse}) {
                    Callable<String> job = () -> {
                        start.await();
                        return analyse(model, data);
                    };
                    results.add(pool.submit(job));
                }
                assertThat(results.get(0).get()).isEqualTo(aloneCe);
                assertThat(results.get(1).get()).isEqualTo(aloneMse);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String analyse(MlpModel model, LabeledData data) {
        AnalysisOptions options = AnalysisOptions.defaults().with(2, 1e-8);
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.upload(model, m, DataType.FLOAT64);
                DeviceData dev = DeviceData.upload(data, model.classes(), m, DataType.FLOAT64, 16);
                CurvatureAnalysis analysis = new CurvatureAnalysis(options, m)) {
            AnalysisReport r = analysis.analyze(net, dev, AnalysisProgress.NONE);
            com.google.gson.JsonObject o = r.toJson();
            o.remove("seconds"); // timings, the only fields that differ between runs
            o.remove("stage_seconds");
            return o.toString();
        }
    }
}
