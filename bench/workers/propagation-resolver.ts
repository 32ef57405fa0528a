// Resolver process of the propagation scenario, constant-work engine: wiring only (logic in bench/propagation-engine-side.ts).
import { runResolverChild } from '../propagation-child.js';
import { EngineResolverSide } from '../propagation-engine-side.js';

runResolverChild((plan, tickMs, done) => new EngineResolverSide(plan, tickMs, done));
