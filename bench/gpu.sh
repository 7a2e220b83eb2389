#!/usr/bin/env bash
# bench/gpu.sh [BINARY] [MODELS_DIR]: what a GPU host does with the GPU build, in one run, as one
# markdown table (under 8 minutes):
#   - detection throughput of YOLOX-nano and NanoDet-m per provider (TensorRT, CUDA, CPU) at batch
#     1 and 8 (`fovea models bench`; a model whose batch is fixed at 1 says so in its row);
#   - two 1080p60 H.264 streams decoded with NVDEC and analysed (objects pipeline): frames analysed
#     per second, p99 latency from a frame decoded to its results handed to the store, the decoder
#     each stream ended up on;
#   - GPU utilisation (nvidia-smi) while the streams run.
# BINARY defaults to dist/fovea-gpu (npm run build:gpu); MODELS_DIR to ../shared/models.
# On a machine without a GPU it says so and exits 0 without a table.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/dist/fovea-gpu}"
models="${2:-${FOVEA_SHARED:-$here/../shared}/models}"

if ! command -v nvidia-smi > /dev/null 2>&1 || ! nvidia-smi -L > /dev/null 2>&1; then
  echo "bench/gpu.sh: no GPU here (nvidia-smi finds none): nothing to measure."
  exit 0
fi
if [ ! -x "$bin" ]; then
  echo "bench/gpu.sh: $bin not found: build it with npm run build:gpu (see docs/operations.md)" >&2
  exit 1
fi
command -v ffmpeg > /dev/null || { echo "bench/gpu.sh: ffmpeg is needed" >&2; exit 1; }

work="$(mktemp -d)"
box=""
cleanup() { [ -n "$box" ] && kill "$box" 2> /dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=18480
cat > "$work/fovea.yaml" << YAML
state_dir: $work/state
models: { mirror: $models, providers: [tensorrt, cuda, cpu] }
api: { port: $port, auth: false, rate_limit_per_minute: 1000000 }
log: { level: warn }
YAML

gpu="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
echo "fovea GPU bench, $(date -u +%FT%TZ), $gpu, $("$bin" version 2> /dev/null | head -1)"
echo
echo "| case | what | images/s or fps | p50 ms | p99 ms | notes |"
echo "|---|---|---|---|---|---|"

# 1. Detection per provider and batch: 12 s each, 12 cells (TensorRT's first open builds its engine,
#    cached in the state dir for the second batch size).
for model in yolox-nano@1 nanodet-m@1; do
  for provider in tensorrt cuda cpu; do
    for batch in 1 8; do
      if out="$(timeout 120 "$bin" models bench "$model" --provider "$provider" --batch "$batch" --seconds 12 --config "$work/fovea.yaml" 2>&1)"; then
        ips="$(sed -E 's/.*"images_per_s":([0-9.]+).*/\1/' <<< "$out")"
        p50="$(sed -E 's/.*"p50_ms":([0-9.]+).*/\1/' <<< "$out")"
        p99="$(sed -E 's/.*"p99_ms":([0-9.]+).*/\1/' <<< "$out")"
        echo "| $model | $provider, batch $batch | $ips | $p50 | $p99 | |"
      else
        echo "| $model | $provider, batch $batch | | | | $(tail -1 <<< "$out" | tr '|' '/') |"
      fi
    done
  done
done

# 2. Two 1080p60 streams on NVDEC for 60 s after a 20 s warm-up, with the GPU sampled meanwhile.
ffmpeg -v error -f lavfi -i testsrc2=size=1920x1080:rate=60 -t 20 -c:v libx264 -pix_fmt yuv420p "$work/hd.mp4"
cat >> "$work/fovea.yaml" << YAML
streams:
  - { id: hd1, url: $work/hd.mp4, pipeline: objects, hwaccel: cuda, realtime: true, loop: true, fps: 60 }
  - { id: hd2, url: $work/hd.mp4, pipeline: objects, hwaccel: cuda, realtime: true, loop: true, fps: 60 }
YAML
"$bin" serve --config "$work/fovea.yaml" > "$work/serve.log" 2>&1 &
box=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 1; done
sleep 20
before="$(curl -sf "http://127.0.0.1:$port/api/streams")"
nvidia-smi --query-gpu=utilization.gpu,utilization.decoder,memory.used --format=csv,noheader,nounits -l 1 > "$work/gpu.csv" &
smi=$!
sleep 60
kill "$smi" 2> /dev/null || true
after="$(curl -sf "http://127.0.0.1:$port/api/streams")"
analysed() { grep -oE '"frames_analysed":[0-9]+' <<< "$1" | cut -d: -f2 | awk '{s += $1} END {print s}'; }
fps="$(awk -v a="$(analysed "$after")" -v b="$(analysed "$before")" 'BEGIN {printf "%.1f", (a - b) / 60}')"
decoders="$(grep -oE '"decoder":"[a-z]+"' <<< "$after" | cut -d'"' -f4 | sort | uniq -c | tr -s ' ' | paste -sd, -)"
# Each stream's p99 over its last 512 frames (GET /api/streams latency_ms); the worse of the two.
p99="$(grep -oE '"p99":[0-9.]+' <<< "$after" | cut -d: -f2 | sort -n | tail -1)"
gpu_util="$(cut -d, -f1 "$work/gpu.csv" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
dec_util="$(cut -d, -f2 "$work/gpu.csv" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "| 2 x 1080p60 H.264 | NVDEC + objects pipeline, 60 s | $fps | | $p99 | decoders: $decoders; GPU busy median $gpu_util %, NVDEC median $dec_util % |"
