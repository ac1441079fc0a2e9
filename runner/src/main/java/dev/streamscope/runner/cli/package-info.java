/** The {@code streamscope} command line (picocli). */
package dev.streamscope.runner.cli;
