#!/usr/bin/env bash
# Writes the CA that signs the hosts from the CI's secret store into the paths hosts/network.yaml names
# (pki/ca.crt, pki/ca.key), owner-only from the first byte; `write-ca.sh --remove` takes the key away again.
# A self-hosted runner (the office's build machine) keeps its workspace between jobs, so every job that writes the
# key ends with --remove, whatever happened before it (GitHub: if: always(); GitLab: after_script).
#   FLATNET_CA_CRT  the lighthouse's ca.crt: the PEM itself, or (a GitLab File variable) the path of a file holding it
#   FLATNET_CA_KEY  its ca.key, the same way: a protected secret that only pipelines of the main branch see, never a
#                   pull request's (whose own build.sh could read it)
set -euo pipefail
umask 077
if [ "${1:-}" = --remove ]; then
  rm -f pki/ca.key
  echo "CA key removed from pki/"
  exit 0
fi
: "${FLATNET_CA_CRT:?set FLATNET_CA_CRT (the lighthouse's ca.crt) in the CI's variables}"
: "${FLATNET_CA_KEY:?set FLATNET_CA_KEY (the lighthouse's ca.key) in the CI's protected secrets}"
mkdir -p pki
# A value that names a file (a GitLab File variable) is that file's content; anything else is the PEM itself.
put() { if [ -f "$1" ]; then cat -- "$1" > "$2"; else printf '%s\n' "$1" > "$2"; fi; }
put "$FLATNET_CA_CRT" pki/ca.crt
put "$FLATNET_CA_KEY" pki/ca.key
echo "CA written to pki/ (owner-only)"
