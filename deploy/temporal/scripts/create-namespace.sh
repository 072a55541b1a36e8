#!/bin/sh
# One-shot (docker-compose.yml service temporal-create-namespace, image temporalio/admin-tools):
# register the namespace cascade-router runs in, once the server is healthy. Idempotent: an
# existing namespace is left as it is (change its retention with `temporal operator namespace
# update`). src/tools/cluster/ (`npm run stack:real`) runs this same script on a development machine.
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

# A new namespace reaches the frontend's namespace cache within seconds, not at once: until then
# the next step (`cascade setup`, its search attributes) fails with "namespace not found".
attempt=1
until temporal operator search-attribute list --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  [ "$attempt" -ge 60 ] && { echo "namespace $NAMESPACE is not served by $TEMPORAL_ADDRESS"; exit 1; }
  attempt=$((attempt + 1))
  sleep 1
done
