#!/bin/sh
# The agent container: enroll once (the token and the hub's CA certificate come from the
# bootstrap volume), then run. The identity and config live in the container's volume, so a
# restarted container keeps its enrollment.
set -eu
state=/var/lib/greenroom-agent
config="$state/agent_config.yaml"
if [ ! -f "$config" ]; then
    greenroom-agent enroll \
        --hub "${GREENROOM_HUB:?set GREENROOM_HUB, e.g. https://proxy:8443}" \
        --token "$(cat /bootstrap/token)" \
        --ca-file /bootstrap/ca.crt \
        --server-id "${AGENT_SERVER_ID:-$(hostname)}" \
        --environment "${AGENT_ENVIRONMENT:-dev}" \
        --config "$config" \
        --state-dir "$state/identity"
fi
exec greenroom-agent run --config "$config"
