// Resolver process of the propagation scenario, event-driven baseline: wiring only (logic in bench/baseline/resolver-side.ts).
import { runResolverChild } from '../propagation-child.js';
import { BaselineResolverSide } from '../baseline/resolver-side.js';

runResolverChild((plan, _tickMs, done) => new BaselineResolverSide(plan, done));
