#!/usr/bin/env bash
# Resolves the current digest of the Dockerfile's base tag and writes tag@sha256:… as the NODE_IMAGE
# default, so builds use exactly that image until the next deliberate update. Needs registry access
# and `docker buildx` (or `crane`).
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-node:22-bookworm-slim}"
if command -v crane >/dev/null; then digest="$(crane digest "$tag")"
else digest="$(docker buildx imagetools inspect "$tag" --format '{{json .Manifest.Digest}}' | tr -d '"')"; fi
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "pin-base-image: no digest for $tag" >&2; exit 1; }
sed -i -E "s|^ARG NODE_IMAGE=.*|ARG NODE_IMAGE=${tag}@${digest}|" Dockerfile
echo "Dockerfile: NODE_IMAGE=${tag}@${digest}"
