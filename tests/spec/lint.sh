#!/usr/bin/env bash
# Lints proto/openapi.yaml with Redocly's OpenAPI linter (@redocly/cli,
# pinned with its checksum in package-lock.json; tests/run.sh installs it
# with npm ci). Every rule of the recommended set is an error
# (redocly.yaml), so the suite fails on any problem it reports. The CLI
# is kept offline: no usage telemetry, no update check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli="$here/node_modules/@redocly/cli/bin/cli.js"
if [ ! -f "$cli" ]; then
  echo "spec lint: @redocly/cli is not installed (npm ci --prefix tests/spec)" >&2
  exit 1
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec node "$cli" lint --config "$here/redocly.yaml" "$here/../../proto/openapi.yaml"
