export { DEFAULT_SIMULATION_START, MAX_SIMULATION_MS, MAX_SIMULATION_STEPS, simulate } from './simulator.ts';
export type { SimulationRequest } from './simulator.ts';
export { SimulationScriptSchema, parseScript } from './script.ts';
export type { SimulationScript } from './script.ts';
export type {
  ExpectationResult,
  SimulatedEvent,
  SimulatedRequest,
  SimulationOutput,
  SimulationStep,
} from './output.ts';
export { formatTimeline } from './pretty.ts';
export { RealHttp } from './real-http.ts';
export { BEEP_MS, SPEECH_LEAD_MS, SPEECH_MS_PER_CHAR, playMs, speechMs } from './sim-util.ts';
