/** The eos command line (picocli): one subcommand per job, exit status 0, 1 or 2 (CONTRACTS.md section 1). */
package io.eoscope.launcher;
