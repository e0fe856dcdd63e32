#!/bin/sh
# Runs once the hubs are up: the first admin, a token three agents may enroll with, and the
# hub's CA certificate (never its key) for the agents to pin. Writes /bootstrap/{token,ca.crt}.
set -eu
cfg=/etc/greenroom/backend_config.yaml
# Brings the store's CA into this container's pki dir (and prints the fleet's CA status).
greenroom-hub ca status --config "$cfg"
cp /var/lib/greenroom/pki/ca.crt /bootstrap/ca.crt
GREENROOM_PASSWORD="${GREENROOM_ADMIN_PASSWORD:?set GREENROOM_ADMIN_PASSWORD}" \
    greenroom-hub create-user --config "$cfg" --email "${GREENROOM_ADMIN_EMAIL:-admin@example.com}" --role admin
if [ ! -s /bootstrap/token ]; then
    greenroom-hub enroll-token --config "$cfg" --uses 3 > /bootstrap/token.new
    mv /bootstrap/token.new /bootstrap/token
fi
echo "bootstrap done: sign in at http://localhost:8000 as ${GREENROOM_ADMIN_EMAIL:-admin@example.com}"
