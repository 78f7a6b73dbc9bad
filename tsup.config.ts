import { defineConfig } from 'tsup';

// ESM and CJS from one build; each subpath export is its own entry. The CLI's
// own libraries are bundled into it, so the package has no runtime dependencies.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    redis: 'src/stores/redis/index.ts',
    // Subpath entries are added here as their modules land:
    // redis: 'src/stores/redis/index.ts', express: 'src/http/express.ts',
    // fastify: 'src/http/fastify.ts', hono: 'src/http/hono.ts', node: 'src/http/node.ts',
    express: 'src/http/express.ts',
    fastify: 'src/http/fastify.ts',
    hono: 'src/http/hono.ts',
    node: 'src/http/node.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  noExternal: ['commander', 'csv-parse'],
});
