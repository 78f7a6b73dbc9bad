import { adapterSuite } from './adapter-suite.js';
import { limitSetSuite } from './adapter-suite-sets.js';
import { harnesses } from './harnesses.js';

for (const harness of harnesses) {
  adapterSuite(harness);
  limitSetSuite(harness);
}
