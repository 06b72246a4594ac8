package io.eoscope.launcher;

import picocli.CommandLine.Option;

/**
 * The optimizer of solver gd and its hyper-parameters, as {@code torch.optim} names them, and the mini-batch size: the
 * same options for {@code eos train} and {@code eos demo} (docs/science.md#other-optimizers). Unset values are null:
 * {@code RunConfig} applies PyTorch's defaults and refuses a hyper-parameter the rule does not use, naming the option.
 */
final class OptimizerOptions {
    @Option(names = "--optimizer", paramLabel = "RULE", description = "solver gd's update rule, as torch.optim's: gd (SGD),"
            + " momentum (SGD with momentum), nesterov, rmsprop, adam or adamw (default: gd)")
    String optimizer;

    @Option(names = "--momentum", paramLabel = "β", description = "momentum and nesterov: β in (0, 1) (default: 0.9)")
    Double momentum;

    @Option(names = "--beta1", paramLabel = "β1", description = "adam and adamw: β1 in [0, 1) (default: 0.9)")
    Double beta1;

    @Option(names = "--beta2", paramLabel = "β2", description = "adam and adamw: β2, rmsprop: alpha, in [0, 1)"
            + " (default: 0.999; rmsprop 0.99)")
    Double beta2;

    @Option(names = "--eps", paramLabel = "ε", description = "rmsprop, adam and adamw: ε > 0 (default: 1e-8)")
    Double eps;

    @Option(names = "--weight-decay", paramLabel = "λ", description = "adamw: decoupled weight decay λ ≥ 0 (default: 0.01)")
    Double weightDecay;

    @Option(names = "--batch-size", paramLabel = "B", description = "solver gd: mini-batch SGD, each step one batch of B"
            + " samples of a shuffle seeded by --seed, a new shuffle every epoch, the last batch smaller when B does not"
            + " divide N (default: the full batch)")
    Integer batchSize;
}
