package io.eoscope.curvature.eigen;

/**
 * An eigen-solve that produced no trustworthy eigenvalue (a zero, non-finite or inconsistent operator,
 * or a returned pair that failed the fresh-product check). The message says which operator and why.
 */
public final class EigenSolveException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EigenSolveException(String message) {
        super(message);
    }
}
