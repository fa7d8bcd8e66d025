#!/usr/bin/env bash
# Annotate one dataset with a Slurm job array: 16 tasks, each its own stable share of the images,
# all writing into one partitioned dataset that `macsql --data` reads as one table.
#
#   sbatch examples/cluster/slurm_annotate.sh /data/ffhq ffhq real /shared/annotations
#
# A task that is killed (pre-emption, time limit) is resubmitted with the same index
# (`scontrol requeue`, or `sbatch --array=7 ...`): `--resume` continues from its finished batches,
# and a task whose shard is already done exits at once, saying so.
#SBATCH --job-name=macsql-annotate
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=logs/macsql-%A_%a.out
set -euo pipefail
images="$1" dataset="$2" kind="$3" out="$4"
# --shard auto: I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, N = SLURM_ARRAY_TASK_COUNT.
macsql annotate "$images" --dataset "$dataset" --kind "$kind" \
    -o "$out/" --shard auto --resume --threads "${SLURM_CPUS_PER_TASK:-1}" -q
# When every task is done:
#   macsql --data "$out" -c "SELECT source, shard, count(*) FROM annotations GROUP BY source, shard ORDER BY source, shard"
