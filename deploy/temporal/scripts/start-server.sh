#!/bin/sh
# Starts temporal-server with the project's config (deploy/temporal/config/production-sql.yaml),
# in the compose stack (service `temporal`) and on a development machine (src/tools/cluster/, `npm run
# stack:real`), so both run the same server config. The image's own entrypoint would render its
# built-in template instead; this one hands the server our config folder, which it renders itself
# from the environment (the file's "enable-template" comment).
#
#   TEMPORAL_CONFIG_DIR    the folder holding production-sql.yaml (default /etc/temporal/cascade-config)
#   TEMPORAL_SERVER_BIN    the server binary (default temporal-server on PATH)
#   TEMPORAL_SERVICES      the services this process runs, comma-separated (default all four:
#                          frontend,history,matching,worker; split them to scale each apart)
set -eu

CONFIG_DIR=${TEMPORAL_CONFIG_DIR:-/etc/temporal/cascade-config}
SERVER=${TEMPORAL_SERVER_BIN:-temporal-server}

# In a container the services listen on every interface and tell the others the container's own
# address (as the image's entrypoint does); on a host the caller sets both, usually 127.0.0.1.
if [ -z "${BIND_ON_IP:-}" ]; then
  BIND_ON_IP=$(getent hosts "$(hostname)" | awk '{print $1; exit}')
fi
export BIND_ON_IP
if [ "$BIND_ON_IP" = "0.0.0.0" ] && [ -z "${TEMPORAL_BROADCAST_ADDRESS:-}" ]; then
  TEMPORAL_BROADCAST_ADDRESS=$(getent hosts "$(hostname)" | awk '{print $1; exit}')
  export TEMPORAL_BROADCAST_ADDRESS
fi

set --
for svc in $(echo "${TEMPORAL_SERVICES:-frontend,history,matching,worker}" | tr ',' ' '); do
  set -- "$@" --service "$svc"
done

# --root / : the config folder is an absolute path (the server joins root and config).
exec "$SERVER" --root / --config "$CONFIG_DIR" --env production-sql --allow-no-auth start "$@"
