package io.eoscope.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.eoscope.curvature.io.ModelFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eos train} and {@code eos dataset} through the real command line. */
class TrainCliTest {
    @TempDir
    static Path dir;

    @Test
    void trainWritesTheRunFilesAndResumeContinuesIt() throws Exception {
        Path out = dir.resolve("xor-run");
        EosProcess.Result r = EosProcess.run(dir, "train", "--out", out.toString(), "--dataset", "xor", "--classes", "2",
                "--n", "32", "--arch", "2-8-2", "--solver", "exp-euler", "--eta-max", "0.05", "--steps", "12",
                "--snapshot-every", "5");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("eos train: 12 steps");
        List<String> rows = Files.readAllLines(out.resolve("trajectory.csv"));
        assertThat(rows.get(0)).startsWith("step,time,loss,accuracy,step_size,sharpness");
        assertThat(rows).hasSize(13);
        assertThat(rows.get(1).split(",")[5]).isNotEmpty(); // exponential Euler computes the sharpness
        assertThat(JsonParser.parseString(Files.readString(out.resolve("run.json"))).getAsJsonObject()
                .get("solver").getAsString()).isEqualTo("exp-euler");
        assertThat(ModelFile.read(out.resolve("final.safetensors")).metadata()).containsEntry("step", "12");
        assertThat(ModelFile.read(out.resolve("snapshots/step-00000010.safetensors")).metadata())
                .containsEntry("run", "xor-run").containsEntry("step", "10").containsKey("time");
        EosProcess.Result again = EosProcess.run(dir, "train", "--out", out.toString(), "--dataset", "xor", "--classes",
                "2", "--steps", "3");
        assertThat(again.status()).isEqualTo(2);
        assertThat(again.err()).contains("already holds a run (use --resume");
        EosProcess.Result resumed = EosProcess.run(dir, "train", "--resume", out.toString());
        assertThat(resumed.status()).as(resumed.err()).isZero();
        assertThat(Files.readAllLines(out.resolve("trajectory.csv"))).containsExactlyElementsOf(rows);
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
        EosProcess.Result r = EosProcess.run(dir, "train", "--resume", dir.resolve("not-a-run").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("run.json: no such file");
        EosProcess.Result none = EosProcess.run(dir, "train", "--steps", "3");
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).contains("--out").contains("--resume");
    }

    @Test
    void divergenceStopsWithAClearStatusAndNoNanTrajectory() throws Exception {
        Path out = dir.resolve("diverge");
        EosProcess.Result r = EosProcess.run(dir, "train", "--out", out.toString(), "--dataset", "xor", "--classes", "2",
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
        EosProcess.Result r = EosProcess.run(dir, "dataset", "--classes", "3", "--n", "30", "--png", png.toString(),
                "--out", file.toString(), "--rows", "4");
        assertThat(r.status()).as(r.err()).isZero();
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(3 * 66 + 2);
        assertThat(img.getHeight()).isEqualTo(4 * 66 + 2);
        assertThat(io.eoscope.curvature.io.DatasetFile.read(file).n()).isEqualTo(30);
    }

    private static void bad(String options, String phrase) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--out", dir.resolve("bad-" + System.nanoTime()).toString()));
        args.addAll(List.of(options.split(" ")));
        EosProcess.Result r = EosProcess.run(dir, args.toArray(new String[0]));
        assertThat(r.status()).as("%s: %s", options, r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("eos train: ").contains(phrase).doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }
}
