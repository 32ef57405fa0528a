export { Resolver, ResolveCode, RESOLVE_BUFFER_LENGTH, type ResolverOptions, type ResolveResult } from './resolver.js';
export {
  explain,
  type Explanation,
  type RecordSetExplanation,
  type CandidateExplanation,
  type AliasExplanation,
  type IpMatchExplanation,
} from './explain.js';
export { ClientAddress } from './client-address.js';
export {
  createLookup,
  type LookupFunction,
  type LookupOptions,
  type LookupAddress,
  type CreateLookupOptions,
} from './lookup.js';
export { seededRandom, type RandomSource } from './random.js';
export { answerHealthy } from './health.js';
export { normalizeName, zoneOf } from './names.js';
