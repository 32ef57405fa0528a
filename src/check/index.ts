/** Probes: one attempt against a target with a hard deadline. See README.md here. */
export {
  probeFor,
  PROBE_FAILURES,
  type Probe,
  type ProbeOutcome,
  type ProbeFailure,
  type ProbeResult,
} from './probe.js';
export { tcpProbe } from './tcp.js';
export { httpProbe, BODY_MATCH_LIMIT, PROBE_USER_AGENT } from './http.js';
export { classifyError } from './probe-common.js';
