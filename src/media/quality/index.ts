// Media quality of a leg (docs/timeline.md "Media quality"): the G.107 E-model, the per-leg figures, the histograms.
export * from './e-model.ts';
export * from './leg-quality.ts';
export * from './quality-metrics.ts';
