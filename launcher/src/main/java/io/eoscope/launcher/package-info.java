/** The eos command line (picocli): one subcommand per job, exit status 0, 1 or 2 (docs/contracts.md#exit-status). */
package io.eoscope.launcher;
