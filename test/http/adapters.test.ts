import { adapterSuite } from './adapter-suite.js';
import { harnesses } from './harnesses.js';

for (const harness of harnesses) adapterSuite(harness);
