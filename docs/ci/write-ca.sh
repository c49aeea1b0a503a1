#!/usr/bin/env bash
# Writes the CA that signs the hosts from the CI's secret store into the paths hosts/network.yaml names
# (pki/ca.crt, pki/ca.key), owner-only from the first byte. The job's workspace is thrown away after it.
#   FLATNET_CA_CRT  the lighthouse's ca.crt (PEM), a CI variable or secret
#   FLATNET_CA_KEY  its ca.key (PEM), a masked, protected secret: only merge pipelines see it
set -euo pipefail
: "${FLATNET_CA_CRT:?set FLATNET_CA_CRT (the lighthouse's ca.crt) in the CI's variables}"
: "${FLATNET_CA_KEY:?set FLATNET_CA_KEY (the lighthouse's ca.key) in the CI's protected secrets}"
umask 077
mkdir -p pki
printf '%s\n' "$FLATNET_CA_CRT" > pki/ca.crt
printf '%s\n' "$FLATNET_CA_KEY" > pki/ca.key
echo "CA written to pki/ (owner-only)"
