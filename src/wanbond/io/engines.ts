import { createClientEngine, createServerEngine, DATA_OVERHEAD } from '../engine/index.js';
import type { EngineFactories } from './engine-factory.js';

/** The real engine factories, as the CLI hands them to the daemons. */
export const realEngines: EngineFactories = { createClientEngine, createServerEngine, overhead: DATA_OVERHEAD };
