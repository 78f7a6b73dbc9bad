#!/usr/bin/env node
// Placeholder until the simulator lands; replaced by the `flowgate simulate` command.
console.log('flowgate: see README');
