package io.eoscope.curvature.net;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Locale;

/**
 * The hidden-layer nonlinearities of docs/science.md#network-and-loss, each with its derivative (needed for the
 * layerwise Jacobians Jˡ = Aˡ·diag(σ′(x̂ˡ⁻¹)), which are formed explicitly, not by autograd).
 */
public enum Activation {
    /** ELU with α = 1, the default: smooth, so the solver's local quadratic model holds. */
    ELU("elu"),
    TANH("tanh"),
    RELU("relu"),
    /** The exact (erf) GELU, x·Φ(x). */
    GELU("gelu");

    private final String id;

    Activation(String id) {
        this.id = id;
    }

    /** The name used in files and on the command line. */
    public String id() {
        return id;
    }

    /** Parses a file or command-line name; the message lists the accepted names. */
    public static Activation parse(String name) {
        for (Activation a : values()) {
            if (a.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "' (expected one of "
                + Arrays.toString(Arrays.stream(values()).map(Activation::id).toArray()) + ")");
    }

    /** σ(z), twice differentiable by autograd. */
    public NDArray apply(NDArray z) {
        switch (this) {
            case ELU:
                return ai.djl.nn.Activation.elu(z, 1f);
            case TANH:
                return z.tanh();
            case RELU:
                return ai.djl.nn.Activation.relu(z);
            case GELU:
                return ai.djl.nn.Activation.gelu(z);
            default:
                throw new AssertionError(this);
        }
    }

    /** σ″(z), elementwise, computed directly (no autograd); ELU's is e^z for z ≤ 0 (as σ′ takes z = 0 there). */
    public NDArray secondDerivative(NDArray z) {
        switch (this) {
            case ELU:
                return z.minimum(0).exp().mul(z.lte(0));
            case TANH: {
                NDArray t = z.tanh();
                return t.mul(t).neg().add(1).mul(t).mul(-2);
            }
            case RELU:
                return z.zerosLike();
            case GELU: {
                // d/dz (Φ(z) + z·φ(z)) = 2φ(z) − z²φ(z)
                NDArray pdf = z.mul(z).mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
                return pdf.mul(z.mul(z).neg().add(2));
            }
            default:
                throw new AssertionError(this);
        }
    }

    /** σ′(z), elementwise, computed directly (no autograd). */
    public NDArray derivative(NDArray z) {
        switch (this) {
            case ELU:
                return z.gt(0).toType(z.getDataType(), false).add(z.minimum(0).exp().mul(z.lte(0)));
            case TANH: {
                NDArray t = z.tanh();
                return t.mul(t).neg().add(1);
            }
            case RELU:
                return z.gt(0).toType(z.getDataType(), false);
            case GELU: {
                // Φ(z) + z·φ(z)
                NDArray cdf = z.div(Math.sqrt(2)).erf().add(1).mul(0.5);
                NDArray pdf = z.mul(z).mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
                return cdf.add(z.mul(pdf));
            }
            default:
                throw new AssertionError(this);
        }
    }
}
