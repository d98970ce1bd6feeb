#!/bin/sh
# Usage: ontolabel-claim-gpu COMMAND...  Runs COMMAND on one GPU no other replica holds.
#
# Why: for `count: 1` Docker hands every replica GPU 0 (the daemon maps a count to the
# devices 0..count-1; docker/compose#11863), so `--scale worker=N` would stack N workers
# on one GPU. Each replica therefore sees every GPU and locks the first free one in a
# folder all replicas on this host share (CLAIM_GPU_LOCKS); the kernel drops the lock
# when the container stops. A CUDA_VISIBLE_DEVICES set by the operator is used as it is.
set -eu

if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
    exec "$@"
fi
locks="${CLAIM_GPU_LOCKS:-/run/ontolabel-gpus}"
mkdir -p "$locks"
gpus=$(nvidia-smi --query-gpu=uuid --format=csv,noheader 2>/dev/null | grep -E '^(GPU|MIG)-') \
    || gpus=""
if [ -z "$gpus" ]; then
    echo "ontolabel-claim-gpu: nvidia-smi lists no GPU; is the NVIDIA runtime set up?" >&2
    exit 1
fi
count=0
for uuid in $gpus; do
    count=$((count + 1))
    exec 9>"$locks/$uuid.lock"
    if flock --nonblock 9; then
        echo "ontolabel-claim-gpu: ${HOSTNAME:-this worker} runs on $uuid" >&2
        export CUDA_VISIBLE_DEVICES="$uuid"
        exec "$@"  # fd 9 stays open in COMMAND: the lock lives as long as it does
    fi
    exec 9>&-
done
echo "ontolabel-claim-gpu: all $count GPUs are held by other workers on this host;" \
    "scale worker to at most $count" >&2
exit 1
