/**
 * The reproduction report: {@link io.eoscope.report.ReportRenderer#render(java.nio.file.Path)}
 * turns a directory holding {@code report.json} (modelled by {@link io.eoscope.report.ReportSpec}),
 * long-format CSV files and images into PNG figures drawn with xchart (heatmaps of spectral densities
 * with Java2D) and one self-contained
 * {@code report.html}. Plain Java: no DJL, no Vert.x.
 */
package io.eoscope.report;
