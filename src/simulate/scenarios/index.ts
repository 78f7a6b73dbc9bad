import type { Scenario } from '../types.js';
import { botnet } from './botnet.js';
import { boundaryBurst } from './boundary-burst.js';
import { mobileSync } from './mobile-sync.js';
import { retryStorm } from './retry-storm.js';
import { steady } from './steady.js';

/** The named scenarios of `flowgate simulate`, by name; `boundary-burst` is the default. */
export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [boundaryBurst, retryStorm, mobileSync, steady, botnet].map((scenario) => [scenario.name, scenario]),
);

/** The scenario run when none is named. */
export const DEFAULT_SCENARIO = boundaryBurst.name;
