package io.eoscope.curvature.hessian;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.DeviceData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.Network;
import java.util.ArrayList;
import java.util.List;

/**
 * Exact products with 𝓗, G and H of an MLP by hand-written passes, without autograd: Pearlmutter's
 * R-operator. A tangent forward pass carries Rz = J v layer by layer; a tangent backward pass carries
 * R(∂L/∂z) down again. It is linear in two kinds of source: the output curvature S·Rzᴸ at the top, which
 * alone gives Gv = JᵀSJv, and the second-order terms of each layer (∂L/∂z·Vᴬ, ∂L/∂h·σ″·Rz and
 * (∂L/∂z)ᵀRh), which alone give Hv; both together give 𝓗v. So G needs no second-order term at all.
 *
 * <p>The forward pass and the gradient's backward pass depend only on θ, not on v: they are computed once
 * per chunk and kept (at most {@code cacheBytes}; above that they are recomputed per product, still
 * without autograd). The k vectors of a block go through the passes one at a time (measured faster here than
 * batched matrix products; the passes themselves take any k).
 * Checked against the double-backward route and float64 finite differences ({@code TangentProductsTest}).
 *
 * <p>Not thread-safe; owns a child manager of the network's.
 */
final class TangentProducts implements AutoCloseable {
    private final Network network;
    private final DeviceData data;
    private final NDManager manager;
    private final boolean cache;
    private final List<Pass> passes = new ArrayList<>();

    /** What one chunk's forward pass and gradient backward pass leave, all independent of v. */
    private static final class Pass {
        final NDArray[] h; // h[0] = x, h[l] = σ(zˡ) for l < L
        final NDArray[] slope; // σ′(zˡ), l < L
        final NDArray[] curve; // σ″(zˡ), l < L
        final NDArray[] gz; // ∂L̃/∂zˡ for l = 1..L (index l)
        final NDArray[] gh; // ∂L̃/∂hˡ for l = 1..L-1
        final NDArray p; // softmax(zᴸ) for cross-entropy, else null
        final NDArray targets;

        Pass(NDArray[] h, NDArray[] slope, NDArray[] curve, NDArray[] gz, NDArray[] gh, NDArray p, NDArray targets) {
            this.h = h;
            this.slope = slope;
            this.curve = curve;
            this.gz = gz;
            this.gh = gh;
            this.p = p;
            this.targets = targets;
        }
    }

    /**
     * @param cacheBytes the most bytes of per-chunk forward state to keep between products (0: keep none)
     */
    TangentProducts(Network network, DeviceData data, NDManager parent, long cacheBytes) {
        this.network = network;
        this.data = data;
        this.manager = parent.newSubManager();
        this.cache = stateBytes(network, data) <= cacheBytes;
    }

    /** Bytes of the forward state of the whole dataset: six arrays per hidden layer, two more per output. */
    static long stateBytes(Network network, DeviceData data) {
        int[] w = network.model().widths();
        long per = 0;
        for (int l = 0; l < w.length - 1; l++) {
            per += 6L * w[l];
        }
        per += 3L * w[w.length - 1];
        return per * data.size() * network.dataType().getNumOfBytes();
    }

    /** Whether the forward state is kept between products. */
    boolean caching() {
        return cache;
    }

    /** {@code kind} applied to each row of {@code block} [k, P]; [k, P], registered with the caller's scope. */
    /**
     * Rows × parameters × samples of a block that goes through the passes at once: below it a product is mostly the
     * engine's fixed cost per call, which a batch pays once (a 4-8-2 MLP's whole 58 × 58 Hessian in one pass); above it
     * the rows go one at a time (see {@link #apply(Curvature, NDArray, int, int)}).
     */
    static final long BATCH_WORK = 1L << 22;

    /** Whether a block of {@code k} rows of {@code width} parameters goes through the passes at once. */
    boolean batches(long k, long width) {
        return k * width <= BATCH_WORK / Math.max(1, data.size());
    }

    NDArray apply(Curvature kind, NDArray block) {
        return apply(kind, block, 1, network.model().layers());
    }

    /**
     * The diagonal block of {@code kind} for layers {@code lo..hi} (1-based, inclusive) applied to each row of
     * {@code block} [k, Pₗₒ..ₕᵢ] (those layers' parameters, in θ's order); [k, Pₗₒ..ₕᵢ]. The passes skip what
     * the zero directions of the other layers contribute nothing to: the tangent forward starts at layer lo,
     * the backward stops there.
     */
    NDArray apply(Curvature kind, NDArray block, int lo, int hi) {
        long k = block.getShape().get(0);
        if (k > 1 && !batches(k, block.getShape().get(1))) {
            // one vector at a time: measured on 2 CPU cores (bench/run curvature, 784-512-512-10, N = 1000, float32),
            // a block of 4 through the batched passes cost 7.1 gradients, four single products 6.0
            NDList rows = new NDList((int) k);
            for (long j = 0; j < k; j++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray row = apply(kind, block.get(j + ":" + (j + 1)), lo, hi);
                    NDScope.unregister(row);
                    rows.add(row);
                }
            }
            NDArray stacked = NDArrays.concat(rows);
            rows.close();
            return stacked;
        }
        List<NDArray> parts = new ArrayList<>(); // VA¹ [k, d1, d0], Vb¹ [k, d1], VA², ...: null outside lo..hi
        List<NDArray> params = network.parameters();
        long offset = 0;
        for (int i = 0; i < params.size(); i++) {
            int layer = i / 2 + 1;
            if (layer < lo || layer > hi) {
                parts.add(null);
                continue;
            }
            long size = params.get(i).size();
            parts.add(block.get(":, " + offset + ":" + (offset + size)).reshape(new Shape(k).addAll(params.get(i).getShape())));
            offset += size;
        }
        NDArray result = null;
        for (int c = 0; c < data.chunks(); c++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Pass pass = pass(c);
                NDArray sum = chunk(kind, pass, parts, lo, hi, k);
                NDScope.unregister(sum);
                if (result == null) {
                    result = sum;
                } else {
                    result.addi(sum);
                    sum.close();
                }
            }
        }
        NDScope.register(result); // the caller's scope owns it, as any new array
        return result;
    }

    private NDArray chunk(Curvature kind, Pass pass, List<NDArray> v, int lo, int hi, long k) {
        int layers = network.model().layers();
        boolean top = kind != Curvature.RESIDUAL; // the output-curvature source S·Rzᴸ
        boolean second = kind != Curvature.GAUSS_NEWTON; // the second-order sources
        List<NDArray> params = network.parameters();
        // tangent forward: Rzˡ = Rhˡ⁻¹·Aˡᵀ + hˡ⁻¹·VAˡᵀ + Vbˡ, Rhˡ = σ′(zˡ)∘Rzˡ; zero below layer lo
        NDArray[] rz = new NDArray[layers + 1];
        NDArray[] rh = new NDArray[layers];
        for (int l = lo; l <= layers; l++) {
            NDArray va = v.get(2 * (l - 1));
            NDArray z = null;
            if (va != null) {
                z = timesEach(pass.h[l - 1], va.transpose(0, 2, 1)).add(v.get(2 * (l - 1) + 1).expandDims(1)); // [k, n, d_l]
            }
            if (l > lo) {
                NDArray through = rh[l - 1].matMul(params.get(2 * (l - 1)).transpose());
                z = z == null ? through : z.add(through);
            }
            rz[l] = z;
            if (l < layers) {
                rh[l] = pass.slope[l].mul(z);
            }
        }
        // tangent backward: R(∂L/∂zᴸ) = S·Rzᴸ / N (only with the top source), down to layer lo
        double scale = 1.0 / data.size();
        NDArray rgz = top ? outputCurvature(pass, rz[layers]).mul(scale) : null;
        NDList out = new NDList(2 * (hi - lo + 1));
        for (int l = layers; l >= lo; l--) {
            NDArray va = v.get(2 * (l - 1));
            if (l <= hi) {
                NDArray hPrev = pass.h[l - 1];
                NDArray gA = null;
                NDArray gb = null;
                if (rgz != null) {
                    gA = rgz.transpose(0, 2, 1).matMul(hPrev); // [k, d_l, d_{l-1}]
                    gb = rgz.sum(new int[] {1});
                }
                if (second && l > lo) { // (∂L/∂zˡ)ᵀ·Rhˡ⁻¹
                    NDArray s = timesEach(pass.gz[l].transpose(), rh[l - 1]);
                    gA = gA == null ? s : gA.add(s);
                }
                if (gA == null) { // H of a one-layer block: no source reaches this layer
                    gA = block(k, params.get(2 * (l - 1)).getShape());
                }
                if (gb == null) {
                    gb = block(k, params.get(2 * (l - 1) + 1).getShape());
                }
                out.add(0, gb.reshape(k, -1));
                out.add(0, gA.reshape(k, -1));
            }
            if (l == lo) {
                break;
            }
            // R(∂L/∂hˡ⁻¹) = R(∂L/∂zˡ)·Aˡ + ∂L/∂zˡ·VAˡ; R(∂L/∂zˡ⁻¹) = R(∂L/∂hˡ⁻¹)∘σ′ + ∂L/∂hˡ⁻¹∘σ″∘Rzˡ⁻¹
            NDArray rgh = rgz == null ? null : rgz.matMul(params.get(2 * (l - 1)));
            if (second && va != null) {
                NDArray s = timesEach(pass.gz[l], va);
                rgh = rgh == null ? s : rgh.add(s);
            }
            NDArray next = rgh == null ? null : rgh.mul(pass.slope[l - 1]);
            if (second && rz[l - 1] != null) {
                NDArray s = pass.gh[l - 1].mul(pass.curve[l - 1]).mul(rz[l - 1]);
                next = next == null ? s : next.add(s);
            }
            rgz = next;
        }
        return NDArrays.concat(out, 1);
    }

    /**
     * {@code m} [a, b] times each matrix of {@code batch} [k, b, c]: [k, a, c], as one matrix product
     * [a, b]·[b, k·c]. (A broadcast batched product would first copy {@code m} k times.) For k = 1 the
     * reshapes are views.
     */
    private static NDArray timesEach(NDArray m, NDArray batch) {
        Shape s = batch.getShape();
        long k = s.get(0);
        NDArray wide = batch.transpose(1, 0, 2).reshape(s.get(1), k * s.get(2));
        return m.matMul(wide).reshape(m.getShape().get(0), k, s.get(2)).transpose(1, 0, 2);
    }

    private NDArray block(long k, Shape shape) {
        return manager.zeros(new Shape(k).addAll(shape), network.dataType(), network.parameters().get(0).getDevice());
    }

    /** S·w per sample for w [k, n, C]: cross-entropy p∘w − p(pᵀw), MSE 2w. */
    private NDArray outputCurvature(Pass pass, NDArray w) {
        if (network.model().loss() == Loss.MSE) {
            return w.mul(2);
        }
        return pass.p.mul(w).sub(pass.p.mul(pass.p.mul(w).sum(new int[] {2}, true)));
    }

    /** Chunk c's forward state: kept from the first product when caching, else computed now (in the caller's scope). */
    private Pass pass(int c) {
        if (cache && c < passes.size()) {
            return passes.get(c);
        }
        Pass p;
        if (cache) {
            try (NDScope keep = new NDScope()) {
                keep.suppressNotUsedWarning();
                p = compute(c);
                for (NDArray a : arrays(p)) {
                    NDScope.unregister(a);
                    a.attach(manager);
                }
            }
            passes.add(p);
        } else {
            p = compute(c);
        }
        return p;
    }

    private Pass compute(int c) {
        int layers = network.model().layers();
        Activation act = network.model().activation();
        List<NDArray> params = network.parameters();
        NDArray[] h = new NDArray[layers];
        NDArray[] slope = new NDArray[layers];
        NDArray[] curve = new NDArray[layers];
        NDArray[] gz = new NDArray[layers + 1];
        NDArray[] gh = new NDArray[layers];
        h[0] = data.inputs(c);
        NDArray z = null;
        for (int l = 1; l <= layers; l++) {
            z = h[l - 1].matMul(params.get(2 * (l - 1)).transpose()).add(params.get(2 * (l - 1) + 1));
            if (l < layers) {
                slope[l] = act.derivative(z);
                curve[l] = act.secondDerivative(z);
                h[l] = act.apply(z);
            }
        }
        NDArray targets = data.targets(c);
        Loss loss = network.model().loss();
        NDArray p = loss == Loss.CROSS_ENTROPY ? z.softmax(1) : null;
        gz[layers] = loss.outputGradient(z, targets).mul(1.0 / data.size());
        for (int l = layers; l > 1; l--) {
            gh[l - 1] = gz[l].matMul(params.get(2 * (l - 1)));
            gz[l - 1] = gh[l - 1].mul(slope[l - 1]);
        }
        return new Pass(h, slope, curve, gz, gh, p, targets);
    }

    private static List<NDArray> arrays(Pass p) {
        List<NDArray> all = new ArrayList<>();
        for (NDArray[] group : new NDArray[][] {p.h, p.slope, p.curve, p.gz, p.gh}) {
            for (NDArray a : group) {
                if (a != null) {
                    all.add(a);
                }
            }
        }
        if (p.p != null) {
            all.add(p.p);
        }
        all.add(p.targets);
        return all;
    }

    @Override
    public void close() {
        manager.close();
    }
}
