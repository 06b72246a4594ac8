package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.eoscope.curvature.io.ModelFile;
import io.eoscope.curvature.io.Safetensors;
import io.eoscope.curvature.io.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eos train} and {@code eos dataset} through the command line, in this JVM ({@link EosCli}). */
class TrainCliTest {
    @TempDir
    static Path dir;

    @Test
    void trainWritesTheRunFilesAndResumeContinuesIt() throws Exception {
        Path out = dir.resolve("xor-run");
        EosProcess.Result r = EosCli.run("train", "--out", out.toString(), "--dataset", "xor", "--classes", "2",
                "--n", "32", "--arch", "2-8-2", "--solver", "exp-euler", "--eta-max", "0.05", "--steps", "12",
                "--snapshot-every", "5");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("eos train: 12 steps");
        List<String> rows = Files.readAllLines(out.resolve("trajectory.csv"));
        assertThat(rows.get(0)).startsWith("step,time,loss,accuracy,step_size,sharpness");
        assertThat(rows).hasSize(14); // the header, 12 steps and the final state
        assertThat(rows.get(1).split(",")[5]).isNotEmpty(); // exponential Euler computes the sharpness
        assertThat(rows.get(13)).as("the final state: no step taken from it").startsWith("12,").endsWith(",,,0,,,,");
        assertThat(JsonParser.parseString(Files.readString(out.resolve("run.json"))).getAsJsonObject()
                .get("solver").getAsString()).isEqualTo("exp-euler");
        assertThat(ModelFile.read(out.resolve("final.safetensors")).metadata()).containsEntry("step", "12");
        assertThat(ModelFile.read(out.resolve("snapshots/step-00000010.safetensors")).metadata())
                .containsEntry("run", "xor-run").containsEntry("step", "10").containsKey("time");
        EosProcess.Result again = EosCli.run("train", "--out", out.toString(), "--dataset", "xor", "--classes",
                "2", "--steps", "3");
        assertThat(again.status()).isEqualTo(2);
        assertThat(again.err()).contains("already holds a run (use --resume");
        EosProcess.Result resumed = EosCli.run("train", "--resume", out.toString());
        assertThat(resumed.status()).as(resumed.err()).isZero();
        assertThat(Files.readAllLines(out.resolve("trajectory.csv"))).containsExactlyElementsOf(rows);
    }

    @Test
    void initPreprocessDataFileModelClassesAndTheFinalRow() throws Exception {
        Path data = dir.resolve("xor.safetensors");
        EosProcess.Result d = EosCli.run("dataset", "--dataset", "xor", "--classes", "2", "--n", "32",
                "--preprocess", "standardize", "--out", data.toString());
        assertThat(d.status()).as(d.err()).isZero();
        Path first = dir.resolve("from-file");
        EosProcess.Result r = EosCli.run("train", "--out", first.toString(), "--data", data.toString(), "--classes",
                "2", "--arch", "2-8-2", "--init", "pytorch", "--preprocess", "center", "--lr", "0.5", "--until-time", "2",
                "--snapshot-every", "2");
        assertThat(r.status()).as(r.err()).isZero();
        var run = JsonParser.parseString(Files.readString(first.resolve("run.json"))).getAsJsonObject();
        assertThat(run.get("init").getAsString()).isEqualTo("pytorch");
        assertThat(run.get("preprocess").getAsString()).isEqualTo("center");
        assertThat(run.get("dataset").getAsString()).isEqualTo("file");
        assertThat(ModelFile.read(first.resolve("snapshots/step-00000002.safetensors")).metadata())
                .containsEntry("init", "pytorch").containsEntry("preprocess", "center");
        // --until-time 2 at η = 0.5: 4 steps, and the last row is the final state at t = 2, as final.safetensors
        List<String> rows = Files.readAllLines(first.resolve("trajectory.csv"));
        String[] last = rows.get(rows.size() - 1).split(",", -1);
        assertThat(last[0]).isEqualTo("4");
        assertThat(Double.parseDouble(last[1])).isEqualTo(2.0);
        assertThat(ModelFile.read(first.resolve("final.safetensors")).metadata()).containsEntry("step", "4")
                .containsEntry("time", "2.0");
        // --model gives the classes: no --classes needed (it used to default to 4 and fail)
        Path second = dir.resolve("from-model");
        EosProcess.Result m = EosCli.run("train", "--out", second.toString(), "--data", data.toString(),
                "--model", first.resolve("final.safetensors").toString(), "--steps", "2");
        assertThat(m.status()).as(m.err()).isZero();
        assertThat(JsonParser.parseString(Files.readString(second.resolve("run.json"))).getAsJsonObject().get("classes")
                .getAsInt()).isEqualTo(2);
        EosProcess.Result both = EosCli.run("train", "--out", dir.resolve("both").toString(), "--data",
                data.toString(), "--dataset", "xor", "--steps", "2");
        assertThat(both.status()).isEqualTo(2);
        assertThat(both.err()).contains("--data FILE is a dataset file: give it without --dataset and --data-dir");
        bad("--steps 5 --init kaiming", "--init must be one of [xavier, pytorch], got 'kaiming'");
        bad("--steps 5 --preprocess whiten", "--preprocess must be one of [none, center, standardize], got 'whiten'");
    }

    @Test
    void badOptionsAndFilesExitTwoWithOneLine() throws Exception {
        bad("--solver nope", "--solver must be gd, adaptive-gd or exp-euler");
        bad("--lr -1 --steps 5", "--lr must be a positive number");
        bad("--steps 0", "give a stopping rule");
        bad("--steps 5 --dataset imagenet", "--dataset must be one of");
        bad("--steps 5 --dataset fashion-mnist --data-dir /nonexistent", "install the Debian package dataset-fashion-mnist");
        bad("--steps 5 --dataset cifar10 --data-dir /nonexistent", "not a directory");
        bad("--steps 5 --arch 10-4-4", "inputs of width 3072 but the model's first layer takes 10");
        bad("--steps 5 --arch 3072-4-2 --classes 4", "the model has 2 outputs but --classes is 4");
        bad("--steps 5 --activation swish", "unknown activation 'swish'");
        bad("--steps 5 --model /nonexistent.safetensors", "/nonexistent.safetensors: no such file");
        EosProcess.Result r = EosCli.run("train", "--resume", dir.resolve("not-a-run").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("run.json: no such file");
        EosProcess.Result none = EosCli.run("train", "--steps", "3");
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).contains("--out").contains("--resume");
    }

    @Test
    void divergenceStopsWithAClearStatusAndNoNanTrajectory() throws Exception {
        Path out = dir.resolve("diverge");
        EosProcess.Result r = EosCli.run("train", "--out", out.toString(), "--dataset", "xor", "--classes", "2",
                "--n", "32", "--arch", "2-16-16-2", "--lr", "50", "--steps", "200");
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip()).contains("training diverged").contains("try a smaller --lr").doesNotContain("Exception");
        for (String row : Files.readAllLines(out.resolve("trajectory.csv"))) {
            assertThat(row).doesNotContain("NaN").doesNotContain("Infinity");
        }
    }

    @Test
    void datasetWritesAPngGridAndAFile() throws Exception {
        Path png = dir.resolve("grid.png");
        Path file = dir.resolve("data.safetensors");
        EosProcess.Result r = EosCli.run("dataset", "--classes", "3", "--n", "30", "--png", png.toString(),
                "--out", file.toString(), "--rows", "4");
        assertThat(r.status()).as(r.err()).isZero();
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(3 * 66 + 2);
        assertThat(img.getHeight()).isEqualTo(4 * 66 + 2);
        assertThat(io.eoscope.curvature.io.DatasetFile.read(file).n()).isEqualTo(30);
    }

    @Test
    void optimizersAndMiniBatchesWriteTheirSettingsStateAndStabilityColumns() throws Exception {
        // momentum, full batch: the stability quantity is λmax(𝓗), judged against (2 + 2β)/η = 3.6/0.05 = 72
        Path heavy = dir.resolve("momentum-run");
        EosProcess.Result r = EosCli.run("train", "--out", heavy.toString(), "--dataset", "xor", "--classes", "2", "--n",
                "30", "--arch", "2-8-2", "--optimizer", "momentum", "--momentum", "0.8", "--lr", "0.05", "--steps", "4",
                "--sharpness-every", "2", "--snapshot-every", "2", "--dtype", "float64");
        assertThat(r.status()).as(r.err()).isZero();
        var run = JsonParser.parseString(Files.readString(heavy.resolve("run.json"))).getAsJsonObject();
        assertThat(run.get("optimizer").getAsString()).isEqualTo("momentum");
        assertThat(run.get("momentum").getAsDouble()).isEqualTo(0.8);
        assertThat(run.get("beta1").isJsonNull()).isTrue();
        assertThat(run.get("batchSize").isJsonNull()).isTrue();
        List<String> rows = Files.readAllLines(heavy.resolve("trajectory.csv"));
        assertThat(rows.get(0)).isEqualTo("step,time,loss,accuracy,step_size,sharpness,products,stability,"
                + "stability_threshold,stability_ratio,epoch");
        String[] measured = rows.get(1).split(",", -1);
        assertThat(measured[7]).isEqualTo(measured[5]); // the value is the sharpness
        assertThat(Double.parseDouble(measured[8])).isEqualTo((2 + 2 * 0.8) / 0.05);
        assertThat(Double.parseDouble(measured[9])).isEqualTo(Double.parseDouble(measured[5]) / ((2 + 2 * 0.8) / 0.05));
        assertThat(measured[10]).isEmpty(); // no epochs in a full-batch run
        String[] unmeasured = rows.get(2).split(",", -1); // --sharpness-every 2: nothing at step 1
        assertThat(unmeasured[5]).isEmpty();
        assertThat(unmeasured[7]).isEmpty();
        assertThat(unmeasured[9]).isEmpty();
        SafetensorsFile snapshot = Safetensors.read(heavy.resolve("snapshots/step-00000002.safetensors"));
        assertThat(snapshot.metadata()).containsEntry("optimizer", "momentum").containsEntry("momentum", "0.8")
                .containsEntry("optimizer_step", "2");
        assertThat(snapshot.tensors()).containsKeys("optimizer.momentum_buffer.layer1.weight",
                "optimizer.momentum_buffer.layer1.bias", "optimizer.momentum_buffer.layer2.weight",
                "optimizer.momentum_buffer.layer2.bias");

        // adam on batches of 8 of 30 (4 per epoch): the quantity of an adaptive rule is λmax(P⁻¹𝓗) (of the full-batch
        // loss), against the threshold (2 + 2β1)/((1 − β1)η) = 38/0.002; the epoch is counted
        Path adam = dir.resolve("adam-run");
        r = EosCli.run("train", "--out", adam.toString(), "--dataset", "xor", "--classes", "2", "--n", "30", "--arch",
                "2-8-2", "--optimizer", "adam", "--lr", "0.002", "--batch-size", "8", "--steps", "6", "--snapshot-every", "5");
        assertThat(r.status()).as(r.err()).isZero();
        rows = Files.readAllLines(adam.resolve("trajectory.csv"));
        assertThat(rows).hasSize(1 + 6 + 1);
        for (int u = 0; u < 6; u++) {
            String[] f = rows.get(1 + u).split(",", -1);
            assertThat(f[5]).as("row %d: the sharpness (--sharpness-every 1)", u).isNotEmpty();
            assertThat(Double.parseDouble(f[7])).as("row %d: the preconditioned sharpness", u).isPositive().isFinite();
            assertThat(Double.parseDouble(f[8])).isCloseTo(38 / 0.002, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(Double.parseDouble(f[9])).isEqualTo(Double.parseDouble(f[7]) / Double.parseDouble(f[8]));
            assertThat(f[10]).isEqualTo(Integer.toString(u / 4));
            assertThat(Double.parseDouble(f[1])).as("t advances by η per step").isCloseTo(0.002 * u,
                    org.assertj.core.data.Offset.offset(1e-15));
        }
        snapshot = Safetensors.read(adam.resolve("snapshots/step-00000005.safetensors"));
        assertThat(snapshot.metadata()).containsEntry("optimizer", "adam").containsEntry("beta1", "0.9")
                .containsEntry("beta2", "0.999").containsEntry("eps", "1.0E-8").containsEntry("batch_size", "8")
                .containsEntry("optimizer_step", "5");
        assertThat(snapshot.tensors().get("optimizer.exp_avg_sq.layer2.weight").dtype())
                .isEqualTo(snapshot.tensors().get("layer2.weight").dtype());
        assertThat(snapshot.tensors()).containsKeys("optimizer.exp_avg.layer1.bias", "optimizer.exp_avg_sq.layer1.bias");
        // a snapshot with state starts a new run as --model (the state is not the model's)
        EosProcess.Result from = EosCli.run("train", "--out", dir.resolve("from-adam").toString(), "--dataset", "xor",
                "--n", "30", "--model", adam.resolve("final.safetensors").toString(), "--steps", "1");
        assertThat(from.status()).as(from.err()).isZero();
    }

    @Test
    void badOptimizerOptionsExitTwoWithOneLineNamingTheOption() throws Exception {
        bad("--steps 5 --optimizer lion", "--optimizer must be gd, momentum, nesterov, rmsprop, adam or adamw, got 'lion'");
        bad("--steps 5 --optimizer adam --beta1 -0.1", "--beta1 must be in [0, 1), got -0.1");
        bad("--steps 5 --optimizer adam --beta2 1", "--beta2 must be in [0, 1), got 1.0");
        bad("--steps 5 --optimizer rmsprop --beta2 1.5", "--beta2 must be in [0, 1), got 1.5");
        bad("--steps 5 --optimizer momentum --momentum -0.5", "--momentum must be in (0, 1) with --optimizer momentum");
        bad("--steps 5 --optimizer nesterov --momentum 1", "--momentum must be in (0, 1) with --optimizer nesterov");
        bad("--steps 5 --optimizer adam --eps 0", "--eps must be a positive number, got 0.0");
        bad("--steps 5 --optimizer rmsprop --eps -1e-8", "--eps must be a positive number");
        bad("--steps 5 --optimizer adamw --weight-decay -0.1", "--weight-decay must be ≥ 0");
        bad("--steps 5 --optimizer adam --weight-decay 0.01", "--weight-decay applies to --optimizer adamw only");
        bad("--steps 5 --weight-decay 0.01", "--weight-decay applies to --optimizer adamw only");
        bad("--steps 5 --momentum 0.9", "--momentum applies to --optimizer momentum or nesterov only, not gd");
        bad("--steps 5 --optimizer rmsprop --beta1 0.9", "--beta1 applies to --optimizer adam or adamw only, not rmsprop");
        bad("--steps 5 --eps 1e-8", "--eps applies to --optimizer rmsprop, adam or adamw only, not gd");
        bad("--steps 5 --batch-size 0", "--batch-size must be at least 1, got 0");
        bad("--steps 5 --batch-size -4", "--batch-size must be at least 1, got -4");
        bad("--steps 5 --n 64 --batch-size 65", "--batch-size must be at most --n (64 samples), got 65");
        bad("--steps 5 --solver exp-euler --optimizer adam", "--optimizer adam applies to --solver gd only");
        bad("--steps 5 --solver adaptive-gd --batch-size 8", "--batch-size applies to --solver gd only");
    }

    private static void bad(String options, String phrase) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--out", dir.resolve("bad-" + System.nanoTime()).toString()));
        args.addAll(List.of(options.split(" ")));
        EosProcess.Result r = EosCli.run(args.toArray(new String[0]));
        assertThat(r.status()).as("%s: %s", options, r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("eos train: ").contains(phrase).doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }
}
