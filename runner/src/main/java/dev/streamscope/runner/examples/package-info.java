/**
 * Example pipelines bundled with StreamScope. Each example builds its pipeline through a static
 * {@code addTo(Pipeline, ...)} method, so the {@code streamscope run} command and tests run the
 * very same pipeline; results are written with TextIO and read back after the pipeline finished, so
 * they can be printed on any runner.
 */
package dev.streamscope.runner.examples;
