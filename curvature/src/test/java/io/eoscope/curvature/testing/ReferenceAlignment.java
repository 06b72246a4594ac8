package io.eoscope.curvature.testing;

import io.eoscope.curvature.eigen.DenseSymmetricEigen;
import io.eoscope.curvature.net.Activation;
import io.eoscope.curvature.net.LabeledData;
import io.eoscope.curvature.net.Loss;
import io.eoscope.curvature.net.MlpModel;

/**
 * The alignment quantities (docs/science.md#layerwise-alignment) straight from their definitions, in plain Java float64, for ELU and tanh
 * networks: explicit per-sample Jᵏ, Mˡ, the symmetric root S^½ (by eigendecomposition), Δˡ = S^½Mˡ,
 * Kˡ = Δˡ ⊗ χˡᵀ, dense singular values and the dense blocks Gˡ = E[KˡᵀKˡ]. Shares no code with the
 * NDArray implementation but the dense eigensolver.
 */
public final class ReferenceAlignment {
    public final double kMaxSqMean;
    public final double gaussNewtonTop;
    public final double[] layerGaussNewtonTop;
    public final double[] layerKMaxSqMean;
    public final double[] piChi;
    public final double[] piJ;
    public final double[] deltaMaxSqMean;
    public final double deltaLMaxSqMean;

    public ReferenceAlignment(MlpModel model, LabeledData data) {
        int layers = model.layers();
        int[] w = model.widths();
        int c = model.classes();
        int n = data.n();
        layerGaussNewtonTop = new double[layers];
        layerKMaxSqMean = new double[layers];
        piChi = new double[layers];
        piJ = new double[layers];
        deltaMaxSqMean = new double[layers];
        long p = model.parameterCount();
        double[][] g = new double[(int) p][(int) p];
        double kSum = 0;
        double deltaL = 0;
        for (int s = 0; s < n; s++) {
            double[][] h = new double[layers + 1][]; // x⁰ … (inputs of each layer)
            double[][] z = new double[layers][];
            h[0] = java.util.Arrays.copyOfRange(data.x(), s * w[0], (s + 1) * w[0]);
            for (int l = 0; l < layers; l++) {
                z[l] = affine(model.weights().get(l), model.biases().get(l), h[l], w[l + 1], w[l]);
                h[l + 1] = new double[w[l + 1]];
                for (int i = 0; i < w[l + 1]; i++) {
                    h[l + 1][i] = act(model.activation(), z[l][i]);
                }
            }
            double[][] root = sqrtS(model.loss(), z[layers - 1], data.y()[s]);
            // Δˡ = S^½ Mˡ, built from the top: Δᴸ = S^½, Δˡ = Δˡ⁺¹ Aˡ⁺¹ diag(σ′(x̂ˡ))
            double[][][] delta = new double[layers][][];
            delta[layers - 1] = root;
            for (int l = layers - 2; l >= 0; l--) {
                double[] a = model.weights().get(l + 1);
                double[][] d = new double[c][w[l + 1]];
                for (int r = 0; r < c; r++) {
                    for (int j = 0; j < w[l + 1]; j++) {
                        double sum = 0;
                        for (int i = 0; i < w[l + 2]; i++) {
                            sum += delta[l + 1][r][i] * a[i * w[l + 1] + j];
                        }
                        d[r][j] = sum * deriv(model.activation(), z[l][j]);
                    }
                }
                delta[l] = d;
            }
            // K_n = [K¹ … Kᴸ], Kˡ[r, (i, j)] = Δˡ[r, i]·χˡ[j], χˡ = [xˡ⁻¹; 1]
            double[][] k = new double[c][(int) p];
            int offset = 0;
            for (int l = 0; l < layers; l++) {
                double[] chi = java.util.Arrays.copyOf(h[l], w[l] + 1);
                chi[w[l]] = 1;
                double chiSq = 0;
                for (double v : chi) {
                    chiSq += v * v;
                }
                piChi[l] += chiSq / n;
                for (int r = 0; r < c; r++) {
                    for (int i = 0; i < w[l + 1]; i++) {
                        for (int j = 0; j < w[l]; j++) {
                            k[r][offset + i * w[l] + j] = delta[l][r][i] * chi[j];
                        }
                        k[r][offset + w[l + 1] * w[l] + i] = delta[l][r][i] * chi[w[l]];
                    }
                }
                double[][] kl = new double[c][];
                int size = w[l + 1] * w[l] + w[l + 1];
                for (int r = 0; r < c; r++) {
                    kl[r] = java.util.Arrays.copyOfRange(k[r], offset, offset + size);
                }
                layerKMaxSqMean[l] += topSq(kl) / n;
                deltaMaxSqMean[l] += topSq(delta[l]) / n;
                double prod = 1;
                for (int m = l + 1; m < layers; m++) { // Jᵐ⁺¹ = Aᵐ⁺¹ diag(σ′(x̂ᵐ)) in 0-based m
                    double[] a = model.weights().get(m);
                    double[][] jac = new double[w[m + 1]][w[m]];
                    for (int i = 0; i < w[m + 1]; i++) {
                        for (int j = 0; j < w[m]; j++) {
                            jac[i][j] = a[i * w[m] + j] * deriv(model.activation(), z[m - 1][j]);
                        }
                    }
                    prod *= topSq(jac);
                }
                piJ[l] += prod / n;
                offset += size;
            }
            deltaL += topSq(root) / n;
            kSum += topSq(k);
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) {
                    double sum = 0;
                    for (int r = 0; r < c; r++) {
                        sum += k[r][i] * k[r][j];
                    }
                    g[i][j] += sum / n;
                }
            }
        }
        deltaLMaxSqMean = deltaL;
        kMaxSqMean = kSum / n;
        gaussNewtonTop = DenseSymmetricEigen.largest(g);
        int offset = 0;
        for (int l = 0; l < layers; l++) {
            int size = w[l + 1] * w[l] + w[l + 1];
            layerGaussNewtonTop[l] = DenseSymmetricEigen.largest(DenseOperators.block(g, offset, offset + size));
            offset += size;
        }
    }

    /** ‖M‖²_max = λ_max(MMᵀ). */
    static double topSq(double[][] m) {
        int r = m.length;
        double[][] mmt = new double[r][r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double s = 0;
                for (int q = 0; q < m[i].length; q++) {
                    s += m[i][q] * m[j][q];
                }
                mmt[i][j] = s;
            }
        }
        return DenseSymmetricEigen.largest(mmt);
    }

    static double[][] sqrtS(Loss loss, double[] z, int y) {
        int c = z.length;
        double[][] s = new double[c][c];
        if (loss == Loss.MSE) {
            for (int i = 0; i < c; i++) {
                s[i][i] = 2;
            }
        } else {
            double max = java.util.Arrays.stream(z).max().getAsDouble();
            double[] p = new double[c];
            double total = 0;
            for (int i = 0; i < c; i++) {
                p[i] = Math.exp(z[i] - max);
                total += p[i];
            }
            for (int i = 0; i < c; i++) {
                p[i] /= total;
            }
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < c; j++) {
                    s[i][j] = (i == j ? p[i] : 0) - p[i] * p[j];
                }
            }
        }
        DenseSymmetricEigen e = DenseSymmetricEigen.of(s);
        double[][] root = new double[c][c];
        for (int q = 0; q < c; q++) {
            double lam = Math.sqrt(Math.max(e.values()[q], 0));
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < c; j++) {
                    root[i][j] += lam * e.vectors()[q][i] * e.vectors()[q][j];
                }
            }
        }
        return root;
    }

    static double[] affine(double[] a, double[] b, double[] x, int rows, int cols) {
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            double s = b[i];
            for (int j = 0; j < cols; j++) {
                s += a[i * cols + j] * x[j];
            }
            out[i] = s;
        }
        return out;
    }

    static double act(Activation a, double z) {
        switch (a) {
            case ELU: return z > 0 ? z : Math.expm1(z);
            case TANH: return Math.tanh(z);
            case RELU: return Math.max(z, 0);
            default: throw new IllegalArgumentException("reference supports elu, tanh, relu");
        }
    }

    static double deriv(Activation a, double z) {
        switch (a) {
            case ELU: return z > 0 ? 1 : Math.exp(z);
            case TANH: return 1 - Math.tanh(z) * Math.tanh(z);
            case RELU: return z > 0 ? 1 : 0;
            default: throw new IllegalArgumentException("reference supports elu, tanh, relu");
        }
    }
}
