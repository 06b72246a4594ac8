package io.eoscope.trainer.solve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Mini-batches as PyTorch's DataLoader(shuffle=True, drop_last=False) draws them, reproducible from the step alone. */
class BatchOrderTest {

    @Test
    void everyEpochIsAPermutationCutIntoBatchesTheLastOneSmaller() {
        BatchOrder order = new BatchOrder(12, 5, 7);
        assertThat(order.batchesPerEpoch()).isEqualTo(3);
        for (int epoch = 0; epoch < 4; epoch++) {
            List<Integer> seen = new ArrayList<>();
            int[] sizes = new int[3];
            for (int b = 0; b < 3; b++) {
                long step = epoch * 3L + b;
                assertThat(order.epoch(step)).isEqualTo(epoch);
                int[] batch = order.batch(step);
                sizes[b] = batch.length;
                Arrays.stream(batch).forEach(seen::add);
            }
            assertThat(sizes).containsExactly(5, 5, 2);
            assertThat(seen).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 12).boxed().toList());
        }
        // a new shuffle every epoch
        assertThat(order.batch(0)).isNotEqualTo(order.batch(3));
    }

    @Test
    void aBatchDependsOnTheSeedAndTheStepOnly() {
        BatchOrder walked = new BatchOrder(30, 8, 3);
        List<int[]> all = new ArrayList<>();
        for (int step = 0; step < 20; step++) {
            all.add(walked.batch(step));
        }
        BatchOrder resumed = new BatchOrder(30, 8, 3); // as after --resume at step 13, mid-epoch
        for (int step = 13; step < 20; step++) {
            assertThat(resumed.batch(step)).isEqualTo(all.get(step));
        }
        assertThat(new BatchOrder(30, 8, 4).batch(0)).isNotEqualTo(all.get(0));
        // B = N: one batch per epoch, every sample
        assertThat(new BatchOrder(6, 6, 1).batch(5)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
    }

    @Test
    void refusesABatchSizeOutsideOneToN() {
        assertThatThrownBy(() -> new BatchOrder(10, 11, 0)).hasMessageContaining("--batch-size must be in [1, N = 10], got 11");
        assertThatThrownBy(() -> new BatchOrder(10, 0, 0)).hasMessageContaining("--batch-size");
    }
}
