# The pipeline image: the `piccha` CLI and its production dependencies, run as a non-root user.
# Built by the Pulumi program (infra/components/pipeline-image.ts); .dockerignore keeps the context
# to what is copied below, so the image's content hash covers exactly what it is built from.
FROM node:22.20.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# No install scripts: `prepare` would compile before the sources are copied.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.image.json ./
COPY pipeline pipeline
COPY infra/local infra/local
COPY dashboards dashboards
RUN npx tsc -p tsconfig.image.json

FROM node:22.20.0-bookworm-slim
ENV NODE_ENV=production \
    PICCHA_STATE_DIR=/home/node/.piccha
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The state folder exists and is node's: a fresh volume mounted on it takes that owner (the alert evaluator's).
RUN mkdir -p /home/node/.piccha && chown node:node /home/node/.piccha
# Carries the dashboards' content hash: a dashboard edit rebuilds the image under the same tag,
# so only the containers that run dashboard code (the alert evaluator) are replaced.
ARG PICCHA_DASHBOARDS_HASH=""
LABEL analytics.piccha.dashboards-hash="${PICCHA_DASHBOARDS_HASH}"
USER node
ENTRYPOINT ["node", "/app/dist/pipeline/cli/main.js"]
CMD ["--help"]
