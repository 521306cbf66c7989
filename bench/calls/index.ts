/** The call benchmarks' public surface (entry scripts and the smoke test import from here). */
export { runCallsBench, FULL_OPTIONS } from './run-calls-bench.ts';
export type { CallsBenchOptions, CallsBenchResult, CallsScenario } from './run-calls-bench.ts';
export { startBenchEnv } from './bench-env.ts';
export type { BenchEnv, BenchEnvOptions, SipTarget } from './bench-env.ts';
export { runCpsRamp, runRateStep, runSetupLatency, SUSTAINED } from './sip-scenarios.ts';
export type { CpsRamp, RateStep, SetupLatency } from './sip-scenarios.ts';
export { runMediaLadder, runMediaLevel, MAX_RTP_LOSS_PCT } from './media-scenarios.ts';
export type { MediaLadder, MediaLevel, MediaMode } from './media-scenarios.ts';
export { runApiCalls } from './api-scenario.ts';
export { runTimelineCost, timelineCostLine, TALK_SHORT_FLOW, TIMELINE_MAX_OVERHEAD_PCT } from './timeline-cost.ts';
export type { TimelineCost, TimelineCostSide } from './timeline-cost.ts';
export type { ApiCallsResult, HttpFigures } from './api-scenario.ts';
export { ServerProbe, cpuMsOf, rssBytesOf, processTree } from './proc-stats.ts';
export { requireBinaries, missingBinaries, installCommand } from './system-tools.ts';
export { formatLine, writeResultFile, machineInfo } from './report.ts';
export type { ScenarioLine } from './report.ts';
export { parseSippStats, parseTraceMsgSetupMs, percentile } from './sipp-output.ts';
export type { SippStats } from './sipp-output.ts';
