// @ptune/report: figures and tables from the database views (docs/architecture.md, "SQL views").
export { renderReport, writeReport, type ReportInput, type ReportFile, type RenderedReport, type FigureSummary, type RenderOptions } from "./render-report.ts";
export { buildFigures, seriesOf, formatParams, metricBounds, baselineOf, type CurveFigure, type SeriesPoint } from "./figures.ts";
export { curveSpec } from "./spec.ts";
export { specToSvg, svgToPng, findFontFiles } from "./render-figure.ts";
export { toCsv, parseCsv } from "./csv.ts";
export { loadReference, referencePath, table3ForTask, type Reference, type ReferencePoint } from "./reference.ts";
export { progressByModel, missingLines, ensembleLines, FINISHED_STATE, type ModelProgress, type EnsembleLine } from "./tables.ts";
export { loadReportInput } from "./sql-source.ts";
export { reportFromDatabase, type ReportFromDbOptions } from "./report-from-db.ts";
export { isSuperglueTask, trialInTask } from "./tasks.ts";
export * from "./rows.ts";
