import { defineConfig } from 'tsup';

export default defineConfig([
  // The library: ESM and CJS, one entry per subpath export, no dependencies bundled.
  {
    entry: {
      index: 'src/index.ts',
      redis: 'src/stores/redis/index.ts',
      express: 'src/http/express.ts',
      fastify: 'src/http/fastify.ts',
      hono: 'src/http/hono.ts',
      node: 'src/http/node.ts',
      otel: 'src/observe/otel.ts',
      prometheus: 'src/observe/prometheus.ts',
      koa: 'src/http/koa.ts',
      fetch: 'src/http/fetch.ts',
      nestjs: 'src/http/nestjs/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: true,
  },
  // The `flowgate` bin: one ESM file with its libraries bundled in, so the
  // package has no runtime dependencies (`flowgate serve` bundles grpc-js,
  // proto-loader, yaml, prom-client and ioredis; `import 'flowgate'` has none of them). commander is CommonJS and calls
  // `require('events')`, which an ESM bundle only has through createRequire.
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    noExternal: ['commander', 'csv-parse', '@grpc/grpc-js', '@grpc/proto-loader', 'yaml', 'prom-client', 'ioredis'],
    // The license texts of what the bundle took in, read from its source map.
    onSuccess: 'node scripts/third-party-licenses.mjs',
    banner: {
      js: "import { createRequire as __flowgateRequire } from 'node:module';\nconst require = __flowgateRequire(import.meta.url);",
    },
  },
]);
