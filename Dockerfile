# flowgate serve: the Envoy Rate Limit Service (gRPC 8081) and HTTP API (8080).
#   docker build -t flowgate .
#   docker run -p 8080:8080 -p 8081:8081 -v $PWD/config:/config:ro flowgate --redis redis://redis:6379
# The bin bundles its libraries (grpc-js, yaml, prom-client, ioredis, commander),
# so the runtime image holds only dist/cli (with those libraries' licenses,
# THIRD-PARTY-LICENSES.md), the vendored protos, package.json and LICENSE.
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsup.config.ts ./
COPY scripts/third-party-licenses.mjs ./scripts/
COPY src ./src
RUN npx tsup

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json LICENSE ./
COPY proto ./proto
COPY --from=build /src/dist/cli ./dist/cli
USER node
EXPOSE 8080 8081
ENTRYPOINT ["node", "dist/cli/main.js", "serve", "--host", "0.0.0.0"]
CMD ["--config", "/config"]
