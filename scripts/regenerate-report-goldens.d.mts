/** The report's golden files (see regenerate-report-goldens.mjs). */
import type { ReportModel } from '../src/report/report-model.js';

export const GOLDEN_DIR: string;
export const GOLDEN_ARGS: {
  positionals: string[];
  gate: Record<string, string>;
  uiUrl: string;
};
export const GOLDENS: { file: string; render: (model: ReportModel) => string }[];
export function goldenModel(): Promise<ReportModel>;
export function renderGoldens(): Promise<{ file: string; content: string }[]>;
