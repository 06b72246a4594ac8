package io.eoscope.curvature.hessian;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.File;

/**
 * Detaches a tensor in place ({@code Tensor.detach_()}), which DJL does not expose.
 *
 * <p>Why: a backward pass with {@code create_graph=true} leaves each parameter's gradient holding the
 * graph that produced it, and that graph holds the parameter: a reference cycle that libtorch never
 * frees (about 2.6 MB per Hessian-vector product on a small MLP). Detaching the gradient in place
 * breaks the cycle. The exported libtorch operator {@code at::_ops::detach_::call(at::Tensor&)} is
 * called through JNA (already a DJL dependency); a DJL handle is a pointer to an {@code at::Tensor}.
 */
final class GradientDetacher {
    private static final String SYMBOL = "_ZN2at4_ops7detach_4callERNS_6TensorE";
    private static volatile Function detach;

    private GradientDetacher() {}

    /** Detaches {@code tensor} in place: it keeps its values and loses its autograd history. */
    static void detachInPlace(PtNDArray tensor) {
        function().invoke(Pointer.class, new Object[] {new Pointer(tensor.getHandle())});
    }

    private static Function function() {
        Function f = detach;
        if (f == null) {
            synchronized (GradientDetacher.class) {
                if (detach == null) {
                    LibUtils.loadLibrary();
                    File lib = new File(LibUtils.getLibtorchPath(), "libtorch_cpu.so");
                    NativeLibrary torch = NativeLibrary.getInstance(lib.exists() ? lib.getAbsolutePath() : "torch_cpu");
                    detach = torch.getFunction(SYMBOL);
                }
                f = detach;
            }
        }
        return f;
    }
}
