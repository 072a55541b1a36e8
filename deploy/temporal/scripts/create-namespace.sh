#!/bin/sh
# One-shot (docker-compose.yml service temporal-create-namespace, image temporalio/admin-tools):
# register the namespace cascade-router runs in, once the server is healthy. Idempotent: an
# existing namespace is left as it is (change its retention with `temporal operator namespace
# update`).
set -eu

: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}"
RETENTION=${NAMESPACE_RETENTION:-720h}

attempt=1
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  [ "$attempt" -ge 30 ] && { echo "Temporal at $TEMPORAL_ADDRESS is not healthy"; exit 1; }
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    --address "$TEMPORAL_ADDRESS"
  echo "namespace $NAMESPACE created (retention $RETENTION)"
fi
